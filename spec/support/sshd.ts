// A real OpenSSH server on 127.0.0.1 for transport tests, started and stopped by PID.
// The Debian sshd is unpacked (not installed: its postinst would start a system sshd) into
// /tmp/ss-sshd/root. It runs as root in its own mount and PID namespaces: the mount namespace
// gives it the privilege-separation user (a private /etc with its own passwd) and /run/sshd without
// touching this machine; the PID namespace means stopping it ends every session it started.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { SshConnectOptions } from '../../lib/transport/ssh.js';

const ROOT = '/tmp/ss-sshd/root';
const SSHD = `${ROOT}/usr/sbin/sshd`;
const LIBS = `${ROOT}/usr/lib/x86_64-linux-gnu`;

// A suite that dies early (uvu exits on an error outside a test) skips its after hooks:
// stop what is still running when the process exits.
const live = new Map<number, string>();
process.on('exit', () => {
  signalAll([...live.keys()], 'SIGTERM');
  for (const d of live.values()) rmSync(d, { recursive: true, force: true });
});

export interface Sshd {
  address: '127.0.0.1';
  port: number;
  /** Scratch folder of this server (keys, config, known_hosts); removed by stop(). */
  dir: string;
  /** Private key that logs in as root (ed25519, no passphrase). */
  userKey: string;
  /** A known_hosts file that already holds this server's host key. */
  knownHosts: string;
  /** The server's (first) host public key line (`ssh-ed25519 AAAA...`). */
  hostKeyPub: string;
  /** Every host public key line of the server, by key type (`ed25519`, `ecdsa`, `rsa`). */
  hostKeyPubs: Record<string, string>;
  /** PID of sshd's listener (as seen from here). */
  pid: number;
  /** Everything sshd logged so far. */
  log(): string;
  /** How many TCP connections sshd accepted. */
  connections(): number;
  /** PIDs of the per-connection sshd processes and everything under them. */
  sessionPids(): number[];
  stop(): Promise<void>;
}

/**
 * Client options that log in to a loopback sshd as root with its key, checking its host key,
 * with no agent, no ~/.ssh/config and no retries (tests decide those).
 */
export function clientOptions(s: Sshd): SshConnectOptions {
  return {
    host: 'lo', address: s.address, port: s.port, user: 'root', privateKey: s.userKey,
    knownHostsFile: s.knownHosts, agent: false, sshConfigFile: false, retries: 0,
  };
}

export interface SshdOptions {
  /** Extra sshd_config lines (they win over the defaults). */
  config?: string;
  /** Host key types, each in `host_<type>`; the first is in `knownHosts`. Default `['ed25519']`. */
  hostKeys?: ('ed25519' | 'ecdsa' | 'rsa')[];
  /** `false`: no SFTP subsystem. */
  sftp?: boolean;
}

/** Unpacks openssh-server from the Debian mirror once (apt-get download + dpkg-deb -x). */
export function ensureSshdBinaries(): void {
  if (existsSync(SSHD) && existsSync(`${LIBS}/libwrap.so.0`)) return;
  const debs = '/tmp/ss-sshd/debs';
  mkdirSync(debs, { recursive: true });
  const dl = spawnSync('apt-get', ['download', 'openssh-server', 'openssh-sftp-server', 'libwrap0'], { cwd: debs, encoding: 'utf8' });
  if (dl.status !== 0) throw new Error(`apt-get download openssh-server failed: ${dl.stderr}`);
  for (const f of readdirSync(debs).filter((f) => f.endsWith('.deb'))) {
    const x = spawnSync('dpkg-deb', ['-x', join(debs, f), ROOT], { encoding: 'utf8' });
    if (x.status !== 0) throw new Error(`dpkg-deb -x ${f} failed: ${x.stderr}`);
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export function keygen(path: string, type = 'ed25519', passphrase = ''): string {
  const r = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', passphrase, '-C', 'shipshape-test', '-f', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return readFileSync(`${path}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
}

/** Starts sshd on a free port of 127.0.0.1; resolves once it listens. */
export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  ensureSshdBinaries();
  mkdirSync('/tmp/ss-sshd', { recursive: true });
  const dir = mkdtempSync('/tmp/ss-sshd/run-');
  const port = await freePort();
  const hostKeyTypes = opts.hostKeys ?? ['ed25519'];
  const hostKeyPubs = Object.fromEntries(hostKeyTypes.map((k) => [k, keygen(join(dir, `host_${k}`), k)]));
  const hostKeyPub = hostKeyPubs[hostKeyTypes[0]!]!;
  const userPub = keygen(join(dir, 'user_ed25519'));
  writeFileSync(join(dir, 'authorized_keys'), userPub + '\n');
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKeyPub}\n`);
  // root gets a clean home here, so sessions run no profile of this machine's root.
  mkdirSync(join(dir, 'root'), { mode: 0o700 });
  privateEtc(dir);
  // sshd takes the first value of a keyword: the caller's lines go first.
  writeFileSync(join(dir, 'sshd_config'), [
    opts.config ?? '',
    ...hostKeyTypes.map((k) => `HostKey ${dir}/host_${k}`),
    `AuthorizedKeysFile ${dir}/authorized_keys`,
    'StrictModes no', 'UsePAM no', 'PidFile none', 'LogLevel VERBOSE',
    opts.sftp === false ? '' : `Subsystem sftp ${ROOT}/usr/lib/openssh/sftp-server`,
  ].join('\n') + '\n');
  const script = [
    `mount --bind /etc ${dir}/etc.real`, `mount --bind ${dir}/etc /etc`,
    'mount -t tmpfs -o mode=755 tmpfs /run', 'mkdir -p /run/sshd',
    `exec env LD_LIBRARY_PATH=${LIBS} ${SSHD} -D -e -f ${dir}/sshd_config -p ${port} -o ListenAddress=127.0.0.1`,
  ].join(' && ');
  const child = spawn('unshare', ['--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child', '--', '/bin/sh', '-c', script], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  child.stderr!.on('data', (d: Buffer) => { text += d.toString('utf8'); });
  try {
    await waitFor(() => text.includes(`Server listening on 127.0.0.1 port ${port}`), 10_000, () => `sshd did not start:\n${text}`, child);
  } catch (e) {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const sshdPid = children(child.pid!)[0]!;
  live.set(sshdPid, dir);
  return {
    address: '127.0.0.1', port, dir, hostKeyPub, hostKeyPubs, pid: sshdPid,
    userKey: join(dir, 'user_ed25519'),
    knownHosts: join(dir, 'known_hosts'),
    log: () => text,
    connections: () => text.split('\n').filter((l) => l.startsWith('Connection from ')).length,
    sessionPids: () => children(sshdPid).flatMap((p) => [p, ...descendants(p)]),
    stop: async () => {
      // unshare ignores SIGTERM while it waits; sshd (PID 1 of its namespace) takes everything with it.
      await stopChild(child, sshdPid);
      live.delete(sshdPid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `dir/etc`: this machine's /etc as links into `dir/etc.real` (where the namespace mounts the
 * real one), except passwd: a copy with the privilege-separation user and root's home in
 * `dir`. The namespace mounts it over /etc as a whole: a bind mount over the file alone
 * vanishes when anything here (useradd in another test run) renames a new /etc/passwd in.
 */
function privateEtc(dir: string): void {
  mkdirSync(join(dir, 'etc.real'));
  mkdirSync(join(dir, 'etc'), { mode: 0o755 });
  for (const name of readdirSync('/etc')) {
    if (name === 'passwd') continue;
    const real = join('/etc', name);
    // Lock files of a useradd running elsewhere come and go: one gone already is skipped.
    const st = lstatSync(real, { throwIfNoEntry: false });
    if (!st) continue;
    // A link inside /etc is kept as it points (relative ones made absolute); the rest lead to the real file.
    let target = join(dir, 'etc.real', name);
    if (st.isSymbolicLink()) {
      try {
        target = resolve('/etc', readlinkSync(real));
      } catch {
        continue;
      }
    }
    symlinkSync(target, join(dir, 'etc', name));
  }
  const passwd = readFileSync('/etc/passwd', 'utf8').replace(/^root:([^:]*):0:0:([^:]*):[^:]*:/m, `root:$1:0:0:$2:${dir}/root:`);
  writeFileSync(join(dir, 'etc', 'passwd'), passwd + 'sshd:x:74:65534:sshd privsep:/run/sshd:/usr/sbin/nologin\n');
  chmodSync(join(dir, 'etc', 'passwd'), 0o644);
}

/** Runs `fn` with a fresh sshd, stopping it afterwards even when `fn` throws. */
export async function withSshd<T>(fn: (s: Sshd) => Promise<T>, opts?: SshdOptions): Promise<T> {
  const s = await startSshd(opts);
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

/** Starts `ssh-agent` on a socket holding `keys`; stop() ends it by PID. */
export async function startAgent(dir: string, keys: string[]): Promise<{ sock: string; stop(): Promise<void> }> {
  const sock = join(dir, `agent.${process.pid}.sock`);
  const child = spawn('ssh-agent', ['-D', '-a', sock], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await waitFor(() => existsSync(sock), 5000, () => 'ssh-agent did not start', child);
    for (const k of keys) {
      const r = spawnSync('ssh-add', [k], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ssh-add ${k} failed: ${r.stderr}`);
    }
  } catch (e) {
    await stopChild(child);
    throw e;
  }
  return { sock, stop: () => stopChild(child) };
}

/** Sends a signal to each PID, ignoring the ones already gone. */
export function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch { /* already gone */ }
  }
}

/** The command line of a process ('' once it is gone). */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function descendants(pid: number): number[] {
  return children(pid).flatMap((c) => [c, ...descendants(c)]);
}

async function waitFor(ok: () => boolean, ms: number, why: () => string, child: ChildProcess): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > end) throw new Error(why());
    await new Promise((r) => setTimeout(r, 20));
  }
}

function stopChild(child: ChildProcess, inner?: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    if (inner) signalAll([inner], 'SIGTERM');
    else child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}
