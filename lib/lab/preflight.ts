/** What the lab needs from the controller: root, a few tools, and the Debian mirror it already uses. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ShipshapeError } from '../errors.js';

/** Tool → the Debian package that ships it. */
const TOOLS: Record<string, string> = {
  mmdebstrap: 'mmdebstrap',
  'dpkg-scanpackages': 'dpkg-dev',
  'apt-ftparchive': 'apt-utils',
  'dpkg-deb': 'dpkg',
  unshare: 'util-linux',
  ip: 'iproute2',
  'ssh-keygen': 'openssh-client',
  chroot: 'coreutils',
  mount: 'mount',
  // hosts boot systemd under it
  'systemd-nspawn': 'systemd-container',
};

/** Installed without their Recommends: systemd-container's (libnss-mymachines) would change the machine's nsswitch.conf. */
const NO_RECOMMENDS = new Set(['systemd-container']);

/**
 * The apt-get install argument lists that bring `pkgs` (those in NO_RECOMMENDS on their own, without Recommends).
 *
 * @example
 * aptInstalls(['mmdebstrap', 'systemd-container'])   // [['install', '-y', 'mmdebstrap'], ['install', '-y', '--no-install-recommends', 'systemd-container']]
 */
export function aptInstalls(pkgs: string[]): string[][] {
  const plain = pkgs.filter((p) => !NO_RECOMMENDS.has(p));
  const bare = pkgs.filter((p) => NO_RECOMMENDS.has(p));
  return [
    ...(plain.length ? [['install', '-y', ...plain]] : []),
    ...(bare.length ? [['install', '-y', '--no-install-recommends', ...bare]] : []),
  ];
}

function onPath(tool: string): boolean {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin']);
  return dirs.some((d) => d && existsSync(join(d, tool)));
}

/**
 * Fails with a clear message unless the lab can run here: Linux, root, and every tool it drives.
 *
 * @example
 * preflight()   // throws: "the lab needs mmdebstrap ... fix: apt-get install -y mmdebstrap"
 */
export function preflight(): void {
  if (process.platform !== 'linux') {
    throw new ShipshapeError(`the lab runs on Linux only (this is ${process.platform})`, {
      fix: 'use Vagrant on this machine, or run the lab on a Linux machine or VM',
    });
  }
  if (process.getuid?.() !== 0) {
    throw new ShipshapeError('the lab must run as root (it creates network namespaces, mounts and a bridge)', {
      fix: 'run it with sudo, e.g. sudo npx shipshape lab up cluster.json',
    });
  }
  ensureTools(TOOLS);
  raiseInotifyLimit();
}

/** Each host's systemd takes several inotify instances; the kernel's default 128 per user runs out near 25 hosts. */
export const INOTIFY_INSTANCES = 8192;

/**
 * Raises fs.inotify.max_user_instances to {@link INOTIFY_INSTANCES} when it is lower (every lab
 * host's systemd draws from root's share; past it one dies with "Too many open files"). Only
 * ever raised, never lowered; said on stderr when changed.
 *
 * @example
 * raiseInotifyLimit()   // "raised fs.inotify.max_user_instances from 128 to 8192 (systemd in each lab host needs some)"
 */
export function raiseInotifyLimit(file = '/proc/sys/fs/inotify/max_user_instances'): void {
  let now: number;
  try {
    now = Number(readFileSync(file, 'utf8').trim());
  } catch {
    return;
  }
  if (!(now < INOTIFY_INSTANCES)) return;
  try {
    writeFileSync(file, `${INOTIFY_INSTANCES}\n`);
    console.error(`raised fs.inotify.max_user_instances from ${now} to ${INOTIFY_INSTANCES} (systemd in each lab host needs some)`);
  } catch (e) {
    throw new ShipshapeError(`fs.inotify.max_user_instances is ${now}: too few for many lab hosts, and it could not be raised (${(e as Error).message})`, {
      fix: `sysctl -w fs.inotify.max_user_instances=${INOTIFY_INSTANCES}`,
    });
  }
}

/**
 * Installs the Debian packages of missing tools with apt-get (as root on Debian), so a fresh
 * machine needs no setup step, then fails like {@link checkTools} if any is still missing.
 * The lab, the seed-playbook test and the bench use it.
 *
 * @example
 * ensureTools({ 'ansible-playbook': 'ansible-core' }, 'the bench')   // prints "installing ansible-core (apt-get)" when missing
 */
export function ensureTools(tools: Record<string, string>, who = 'the lab'): void {
  installMissing(tools);
  checkTools(tools, who);
}

function installMissing(tools: Record<string, string>): void {
  const pkgs = [...new Set(Object.keys(tools).filter((t) => !onPath(t)).map((t) => tools[t]!))];
  if (!pkgs.length || !onPath('apt-get')) return;
  console.error(`installing ${pkgs.join(' ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => aptInstalls(pkgs).every((args) =>
    spawnSync('apt-get', [args[0]!, '-q', ...args.slice(1)], { stdio: ['ignore', 'ignore', 'inherit'], env }).status === 0);
  if (!install()) {
    spawnSync('apt-get', ['update', '-q'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    install();
  }
}

/**
 * Fails naming every missing tool and the `apt-get install` that brings them.
 *
 * @example
 * checkTools({ mmdebstrap: 'mmdebstrap', 'apt-ftparchive': 'apt-utils' })
 */
export function checkTools(tools: Record<string, string>, who = 'the lab'): void {
  const missing = Object.keys(tools).filter((t) => !onPath(t));
  if (missing.length) {
    const pkgs = [...new Set(missing.map((t) => tools[t]!))];
    throw new ShipshapeError(`${who} needs ${missing.join(', ')}, not found on PATH`, {
      fix: aptInstalls(pkgs).map((args) => `apt-get ${args.join(' ')}`).join(' && '),
    });
  }
}

/** The Debian release of the lab's hosts. */
export const SUITE = 'bookworm';

/**
 * apt source lines for the hosts' release, on the controller's own mirror (read from
 * /etc/apt/sources.list.d/debian.sources, else /etc/apt/sources.list; $SHIPSHAPE_LAB_MIRROR overrides).
 *
 * @example
 * mirrorSources()   // ['deb http://deb.example.org/debian bookworm main', ..., 'deb http://deb.example.org/debian-security bookworm-security main']
 */
export function mirrorSources(): string[] {
  let main = process.env.SHIPSHAPE_LAB_MIRROR;
  let security: string | undefined;
  if (!main) {
    for (const { uri, suites } of controllerSources()) {
      if (suites.some((s) => s.endsWith('-security')) || uri.includes('security')) security ??= uri;
      else main ??= uri;
    }
  }
  if (!main) {
    throw new ShipshapeError('cannot find the Debian mirror of this machine in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list', {
      fix: 'set SHIPSHAPE_LAB_MIRROR, e.g. SHIPSHAPE_LAB_MIRROR=http://deb.example.org/debian',
    });
  }
  main = main.replace(/\/+$/, '');
  security ??= main.replace(/\/debian$/, '/debian-security');
  security = security.replace(/\/+$/, '');
  return [
    `deb ${main} ${SUITE} main`,
    `deb ${main} ${SUITE}-updates main`,
    `deb ${security} ${SUITE}-security main`,
  ];
}

function controllerSources(): { uri: string; suites: string[] }[] {
  const out: { uri: string; suites: string[] }[] = [];
  const deb822 = '/etc/apt/sources.list.d/debian.sources';
  if (existsSync(deb822)) {
    for (const stanza of readFileSync(deb822, 'utf8').split(/\n\s*\n/)) {
      const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
      if (!field('Types').includes('deb')) continue;
      if (/^Enabled:\s*no/mi.test(stanza)) continue;
      for (const uri of field('URIs')) out.push({ uri, suites: field('Suites') });
    }
  }
  const legacy = '/etc/apt/sources.list';
  if (existsSync(legacy)) {
    for (const line of readFileSync(legacy, 'utf8').split('\n')) {
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line.trim());
      if (m) out.push({ uri: m[1]!, suites: [m[2]!] });
    }
  }
  return out.filter((s) => /^(https?|file):/.test(s.uri));
}
