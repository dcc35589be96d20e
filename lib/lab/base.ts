/**
 * The lab's base: a Debian root filesystem built once with mmdebstrap, customised to look
 * like a Vagrant box (user vagrant, passwordless sudo, the lab's key), with the local apt
 * repository and pip wheelhouse next to it. Cached in the lab dir, one dir per recipe version.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ShipshapeError } from '../errors.js';
import { basePaths, type BasePaths, type LabPaths } from './paths.js';
import { mirrorSources, SUITE } from './preflight.js';
import { BASE_PACKAGES, recipe, recipeKey } from './recipe.js';
import { buildRepo } from './repo.js';
import { removeTree } from './remove.js';
import { run } from './run.js';

const MERGED_USR_HOOK = '/usr/share/mmdebstrap/hooks/merged-usr';

/**
 * The lab's SSH key pair (created once): its public half goes into every host. Returns the
 * public key line.
 *
 * @example
 * const pub = await ensureLabKey(labPaths())   // 'ssh-ed25519 AAAA... shipshape-lab'
 */
export async function ensureLabKey(lab: LabPaths): Promise<string> {
  if (!existsSync(lab.sshKey) || !existsSync(`${lab.sshKey}.pub`)) {
    mkdirSync(dirname(lab.sshKey), { recursive: true, mode: 0o700 });
    rmSync(lab.sshKey, { force: true });
    rmSync(`${lab.sshKey}.pub`, { force: true });
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'shipshape-lab', '-f', lab.sshKey]);
  }
  return readFileSync(`${lab.sshKey}.pub`, 'utf8').trim();
}

/**
 * Returns the built base for the current recipe, building it first when absent (about a
 * minute: mmdebstrap, customisation, apt repository, wheelhouse). Call with the lab lock held.
 *
 * @example
 * const base = await ensureBase(labPaths(), console.log);   // base.rootfs, base.repo, base.wheelhouse
 */
export async function ensureBase(lab: LabPaths, log: (l: string) => void): Promise<BasePaths> {
  const pub = await ensureLabKey(lab);
  const r = recipe(mirrorSources(), pub);
  const base = basePaths(join(lab.baseRoot, recipeKey(r)));
  if (existsSync(base.stamp)) return base;

  const tmp = basePaths(`${base.dir}.building-${process.pid}`);
  removeTree(tmp.dir);
  mkdirSync(tmp.dir, { recursive: true });
  const t0 = Date.now();
  const took = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
  log(`building the lab base (Debian ${SUITE}, cached in ${base.dir}); this takes about half a minute, once`);
  // in a private mount namespace: mmdebstrap's own mounts of /proc, /sys and /dev never show here
  await run('unshare', [
    '--mount', '--propagation', 'private', 'mmdebstrap', '--quiet', '--mode=root', '--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`,
    `--hook-dir=${MERGED_USR_HOOK}`, SUITE, tmp.rootfs, ...r.mirror,
  ], { what: 'mmdebstrap could not build the lab base', fix: 'check that this machine reaches its Debian mirror (apt-get update)' });
  log(`  root filesystem built (${took()})`);
  customize(tmp.rootfs, pub);
  await run('chroot', [tmp.rootfs, 'useradd', '--create-home', '--shell', '/bin/bash', '--user-group', 'vagrant']);
  authorize(tmp.rootfs, 'vagrant', pub);
  const debs = await buildRepo(tmp, r.mirror, r.repoPackages, r.wheelPackages);
  log(`  local apt repository (${debs} packages) and wheelhouse built (${took()})`);
  // apt-get update was run against the local repo; make the lists look ancient, as on a
  // fresh VM, because apt and Ansible judge cache freshness by this directory's mtime
  utimesSync(join(tmp.rootfs, 'var/lib/apt/lists'), 0, 0);
  writeFileSync(tmp.stamp, JSON.stringify({ ...r, builtAt: new Date().toISOString(), seconds: (Date.now() - t0) / 1000 }, null, 2) + '\n');
  renameSync(tmp.dir, base.dir);
  log(`lab base ready in ${took()}`);
  return base;
}

/**
 * Removes base versions other than `keep` that no cluster uses any more, and builds left by
 * a process that is gone. Call with the lab lock held.
 *
 * @example
 * pruneBases(lab, new Set([base.dir, ...[...allStates(lab).values()].map((s) => s.baseDir)]))
 */
export function pruneBases(lab: LabPaths, keep: Set<string>): void {
  if (!existsSync(lab.baseRoot)) return;
  for (const name of readdirSync(lab.baseRoot)) {
    const dir = join(lab.baseRoot, name);
    const builder = /\.building-(\d+)$/.exec(name);
    if (builder && Number(builder[1]) !== process.pid && existsSync(`/proc/${builder[1]}`)) continue;
    if (!keep.has(dir)) removeTree(dir);
  }
}

function write(root: string, path: string, content: string, mode = 0o644): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, content);
  chmodSync(full, mode);
}

/** Turns the minbase root filesystem into something that behaves like a Vagrant Debian box. */
function customize(root: string, pub: string): void {
  // hosts have no outside network: apt reads the local repo, bind-mounted read-only at boot
  write(root, 'etc/apt/sources.list', 'deb [trusted=yes] file:/srv/localrepo ./\n');
  const listDir = join(root, 'etc/apt/sources.list.d');
  for (const f of existsSync(listDir) ? readdirSync(listDir) : []) rmSync(join(listDir, f), { force: true });
  mkdirSync(join(root, 'srv/localrepo'), { recursive: true });
  mkdirSync(join(root, 'srv/wheelhouse'), { recursive: true });
  // each host gets its own host key, generated by the lab
  for (const f of readdirSync(join(root, 'etc/ssh'))) if (f.startsWith('ssh_host_')) rmSync(join(root, 'etc/ssh', f));
  write(root, 'etc/ssh/sshd_config.d/shipshape-lab.conf', [
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UseDNS no',
    // engines open many channels and the e2e tests connect from many workers at once
    'MaxSessions 64',
    'MaxStartups 100:30:200',
    '',
  ].join('\n'));
  authorize(root, 'root', pub);
  write(root, 'etc/sudoers.d/vagrant', 'vagrant ALL=(ALL) NOPASSWD:ALL\n', 0o440);
  write(root, 'etc/default/locale', 'LANG=C.UTF-8\n');
  // empty: systemd takes the host's boot UUID as its machine-id (see machineUuid)
  write(root, 'etc/machine-id', '');
  write(root, 'etc/resolv.conf', '# lab hosts have no DNS\n');
  write(root, 'etc/hostname', 'localhost\n');
  // as on a VM, maintainer scripts start services on install through systemd: nothing may veto it
  rmSync(join(root, 'usr/sbin/policy-rc.d'), { force: true });
  // pip cannot reach PyPI: it installs from the wheelhouse bind-mounted at boot
  write(root, 'etc/pip.conf', '[global]\nno-index = true\nfind-links = /srv/wheelhouse\n');
}

/** Installs the lab's public key for `user` (root or a user already in /etc/passwd). */
function authorize(root: string, user: string, pub: string): void {
  const entry = readFileSync(join(root, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  if (!entry) throw new ShipshapeError(`the lab base has no user ${user}`);
  const [, , uid, gid, , home] = entry.split(':');
  const dir = join(root, home!, '.ssh');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'authorized_keys'), pub + '\n');
  chmodSync(dir, 0o700);
  chmodSync(join(dir, 'authorized_keys'), 0o600);
  chownSync(dir, Number(uid), Number(gid));
  chownSync(join(dir, 'authorized_keys'), Number(uid), Number(gid));
}
