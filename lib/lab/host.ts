/**
 * One lab host: an overlay upper on the base, booted as PID 1 of its own PID/mount/UTS/IPC
 * namespace inside its network namespace, running sshd under tini.
 */
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ShipshapeError } from '../errors.js';
import type { BasePaths, HostPaths } from './paths.js';
import { childrenOf, isAlive, procRef, stopProcs, type ProcRef } from './proc.js';
import { removeTree } from './remove.js';
import { run } from './run.js';
import type { HostState } from './state.js';

/** How long sshd may take to answer after a host starts. */
const SSH_TIMEOUT_MS = 30_000; // a loaded 2-core machine starting several hosts at once needs more than 10 s

// Runs on the controller's side of the namespaces, then chroots. Arguments, not interpolation.
export const HOST_INIT = `#!/bin/sh
# PID 1 of a shipshape lab host (fresh PID/mount/UTS/IPC namespaces, inside its network namespace):
# mounts its root (overlay on the base + pseudo-filesystems), then tini runs the "boot" and sshd.
set -eu
name=$1 lower=$2 upper=$3 work=$4 m=$5 repo=$6 wheels=$7
hostname "$name"
# this mount namespace holds copies of every /run/netns/* mount: they would keep other hosts'
# network namespaces alive after "ip netns del"
umount -l /run/netns 2>/dev/null || true
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$upper,workdir=$work" "$m"
mount -t proc -o nosuid,nodev,noexec proc "$m/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$m/sys"
mount -t tmpfs -o mode=755,nosuid,nodev,size=64m tmpfs "$m/run"
mkdir -p "$m/run/sshd" "$m/run/lock"
mount -t tmpfs -o mode=755,nosuid,size=4m tmpfs "$m/dev"
for d in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
  set -- $d
  mknod -m 666 "$m/dev/$1" c "$2" "$3"
done
mkdir -p "$m/dev/pts" "$m/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$m/dev/pts"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$m/dev/shm"
ln -s pts/ptmx "$m/dev/ptmx"
ln -s /proc/self/fd "$m/dev/fd"
ln -s /proc/self/fd/0 "$m/dev/stdin"
ln -s /proc/self/fd/1 "$m/dev/stdout"
ln -s /proc/self/fd/2 "$m/dev/stderr"
mount --bind "$repo" "$m/srv/localrepo"
mount -o remount,bind,ro "$m/srv/localrepo"
mount --bind "$wheels" "$m/srv/wheelhouse"
mount -o remount,bind,ro "$m/srv/wheelhouse"
# "boot": start the services enabled in runlevel 2 (nginx, supervisor, ... once installed), then sshd
exec chroot "$m" /usr/bin/tini -- /bin/sh -c 'for s in /etc/rc2.d/S*; do case $s in */S[0-9][0-9]ssh) ;; *) [ -x "$s" ] && "$s" start || true ;; esac; done; exec /usr/sbin/sshd -D -e'
`;

/**
 * The host's ed25519 key pair, generated once and kept across resets so known_hosts stays
 * valid; returns "ssh-ed25519 AAAA...".
 *
 * @example
 * await ensureHostKey(hostPaths(cluster, 'web-01'), 'web-01')   // 'ssh-ed25519 AAAA...'
 */
export async function ensureHostKey(paths: HostPaths, name: string): Promise<string> {
  const key = join(paths.keys, 'ssh_host_ed25519_key');
  if (!existsSync(key) || !existsSync(`${key}.pub`)) {
    mkdirSync(paths.keys, { recursive: true, mode: 0o700 });
    rmSync(key, { force: true });
    rmSync(`${key}.pub`, { force: true });
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${name}`, '-f', key]);
  }
  return readFileSync(`${key}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

/**
 * Wipes the host's overlay back to the clean base, then seeds its identity (hostname, hosts,
 * host key): this is what makes `lab reset` fast.
 *
 * @example
 * seedUpper(hostPaths(cluster, 'web-01'), 'web-01', '10.77.0.11')
 */
export function seedUpper(paths: HostPaths, name: string, address: string): void {
  removeTree(paths.upper);
  removeTree(paths.work);
  for (const d of [paths.upper, join(paths.upper, 'etc'), join(paths.upper, 'etc/ssh'), paths.work, paths.merged]) {
    mkdirSync(d, { recursive: true });
    chmodSync(d, 0o755); // the upper's directory modes become the host's
  }
  writeFileSync(join(paths.upper, 'etc/hostname'), `${name}\n`);
  writeFileSync(join(paths.upper, 'etc/hosts'), `127.0.0.1\tlocalhost\n${address}\t${name}\n`);
  for (const [f, mode] of [['ssh_host_ed25519_key', 0o600], ['ssh_host_ed25519_key.pub', 0o644]] as const) {
    const to = join(paths.upper, 'etc/ssh', f);
    copyFileSync(join(paths.keys, f), to);
    chmodSync(to, mode);
  }
}

/**
 * Boots a host: `ip netns exec NS unshare --mount --pid --uts --ipc --fork ... host-init.sh`,
 * detached, output to its console log. Returns the `unshare` process.
 *
 * @example
 * h.proc = startHost(h, hostPaths(cluster, h.name), base, scripts.init)
 */
export function startHost(h: HostState, paths: HostPaths, base: BasePaths, initScript: string): ProcRef {
  const out = openSync(paths.console, 'a');
  writeSync(out, `--- ${new Date().toISOString()} starting ${h.name}\n`);
  try {
    const child = spawn('ip', [
      'netns', 'exec', h.netns,
      'unshare', '--mount', '--pid', '--uts', '--ipc', '--fork', '--kill-child', '--propagation', 'private',
      '/bin/sh', initScript, h.name, base.rootfs, paths.upper, paths.work, paths.merged, base.repo, base.wheelhouse,
    ], { detached: true, stdio: ['ignore', out, out], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' } });
    child.on('error', () => { /* reported by waitForSsh through the console log */ });
    child.unref();
    const ref = child.pid === undefined ? undefined : procRef(child.pid);
    if (!ref) throw new ShipshapeError(`could not start host ${h.name}`, { host: h.name, fix: `see ${paths.console}` });
    return ref;
  } finally {
    closeSync(out);
  }
}

/**
 * PID 1 of the host's PID namespace: the `unshare` process's only child. Undefined when it
 * does not appear within `timeoutMs` or `unshare` is gone.
 *
 * @example
 * h.init = await findInit(h.proc)   // { pid: 4242, start: '226000' }
 */
export async function findInit(proc: ProcRef, timeoutMs = 2000): Promise<ProcRef | undefined> {
  const until = Date.now() + timeoutMs;
  while (isAlive(proc)) {
    const [pid] = childrenOf(proc.pid);
    const ref = pid === undefined ? undefined : procRef(pid);
    if (ref) return ref;
    if (Date.now() > until) return undefined;
    await new Promise((r) => setTimeout(r, 10));
  }
  return undefined;
}

/**
 * True when sshd at `address`:22 sends its banner within `timeoutMs`.
 *
 * @example
 * await sshAnswers('10.77.0.11', 2000)   // true
 */
export function sshAnswers(address: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port: 22 });
    let done = false;
    const finish = (ok: boolean) => { if (!done) { done = true; s.destroy(); resolve(ok); } };
    s.setTimeout(timeoutMs, () => finish(false));
    s.once('data', (d: Buffer) => finish(d.toString('latin1').startsWith('SSH-')));
    s.once('error', () => finish(false));
    s.once('close', () => finish(false));
  });
}

/**
 * Last lines of a host's console log, for error messages.
 *
 * @example
 * consoleTail(hostPaths(cluster, 'web-01'), 10)   // '... sshd: Server listening on 0.0.0.0 port 22.'
 */
export function consoleTail(paths: HostPaths, lines = 30): string {
  try {
    return readFileSync(paths.console, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no console log)';
  }
}

/**
 * Waits until sshd on the host sends its banner; fails with the console tail when the host
 * stops or after 30 s (a loaded machine booting several hosts is slow).
 *
 * @example
 * await waitForSsh(h, hostPaths(cluster, h.name))
 */
export async function waitForSsh(h: HostState, paths: HostPaths): Promise<void> {
  const until = Date.now() + SSH_TIMEOUT_MS;
  for (;;) {
    if (await sshAnswers(h.address, 500)) return;
    const dead = !isAlive(h.proc);
    if (dead || Date.now() > until) {
      throw new ShipshapeError(`sshd on lab host ${h.name} (${h.address}) did not come up${dead ? ': the host stopped' : ` within ${SSH_TIMEOUT_MS / 1000} s`}`, {
        host: h.name, stderr: consoleTail(paths), fix: `see the console log ${paths.console}`,
      });
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Stops a host: SIGTERM to its PID 1 (tini passes it to sshd; when PID 1 exits the kernel
 * kills the whole PID namespace). `unshare` ignores SIGTERM, so it is never the target;
 * SIGKILL to both if that has not worked within 3 s.
 *
 * @example
 * await Promise.all(state.hosts.map((h) => stopHost(h)))   // true per host once it is gone
 */
export async function stopHost(h: HostState): Promise<boolean> {
  let init = isAlive(h.init) ? h.init : undefined;
  if (!init && isAlive(h.proc)) init = await findInit(h.proc!, 200);
  return stopProcs([init], [init, h.proc], 3000);
}
