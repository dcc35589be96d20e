/**
 * One lab host: an overlay upper on the base, booted with systemd as PID 1 under
 * systemd-nspawn, in its own network namespace, as the seed's VMs boot.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ShipshapeError } from '../errors.js';
import { hostCgroups, removeHostCgroups } from './cgroup.js';
import type { BasePaths, HostPaths } from './paths.js';
import { childrenOf, isAlive, procRef, stopProcs, type ProcRef } from './proc.js';
import { removeTree } from './remove.js';
import { run } from './run.js';
import type { HostState } from './state.js';

/** How long sshd may take to answer after a host starts. */
const SSH_TIMEOUT_MS = 30_000; // a loaded 2-core machine starting several hosts at once needs more than 10 s
/** How long an orderly poweroff may take before the host is killed. */
const STOP_GRACE_MS = 15_000;

// Started as `unshare --mount --propagation private --pid --fork --kill-child --mount-proc /bin/sh
// host-boot.sh ...`: what it mounts stays in its mount namespace and goes with it, and as PID 1
// of a PID namespace around nspawn and the host, its death (or unshare's) ends them all.
// Arguments, not interpolation.
export const HOST_BOOT = `#!/bin/sh
# A shipshape lab host: its root filesystem (overlay on the base) booted with systemd as PID 1
# under systemd-nspawn, in the host's network namespace; started again when it reboots.
set -eu
netns=$1 name=$2 lower=$3 upper=$4 work=$5 m=$6 repo=$7 wheels=$8 uuid=$9
shift 9
# cgroups of its own (the rest of the arguments): nspawn --keep-unit puts payload/ and
# supervisor/ under the cgroup it starts in, which no other host may share
for cg in "$@"; do mkdir -p "$cg"; echo $$ > "$cg/cgroup.procs"; done
# nspawn gets the network namespace as fd 3: this namespace's copies of the /run/netns/*
# mounts would keep other hosts' namespaces alive after "ip netns del"
exec 3<"/run/netns/$netns"
umount -l /run/netns 2>/dev/null || true
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$upper,workdir=$work" "$m"
# nspawn's runtime dir (propagate/, locks/) lives and dies with this mount namespace
mkdir -p /run/systemd/nspawn
mount -t tmpfs -o mode=0755,size=1m tmpfs /run/systemd/nspawn
child='' stop=0
trap 'stop=1; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true' TERM INT
while [ "$stop" = 0 ]; do
  # --register=no --keep-unit: the machine's PID 1 is not systemd, there is no machined to ask;
  # --private-network with the namespace: without it nspawn drops CAP_NET_ADMIN inside;
  # --show-status=yes (to systemd): the console always shows units starting and stopping
  # (with the default, auto, a quick shutdown may print none of them)
  systemd-nspawn --quiet --boot --directory "$m" --machine="$netns" --hostname="$name" --uuid="$uuid" \\
    --private-network --network-namespace-path=/proc/self/fd/3 --register=no --keep-unit \\
    --bind-ro="$repo:/srv/localrepo" --bind-ro="$wheels:/srv/wheelhouse" \\
    --link-journal=no --resolv-conf=off --timezone=off --console=read-only -- --show-status=yes &
  child=$!
  rc=0; wait "$child" || rc=$?
  # a signal interrupts wait: wait again until nspawn has really exited
  while kill -0 "$child" 2>/dev/null; do rc=0; wait "$child" || rc=$?; done
  # 133 is "systemctl reboot" inside: start it again, as systemd-nspawn@.service does
  [ "$stop" = 0 ] && [ "$rc" = 133 ] || exit "$rc"
  echo "--- $(date -u +%FT%TZ) $name rebooted: starting it again"
  child=''
done
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
 * The host's boot UUID, fixed per host: systemd makes it the machine-id (the base's
 * /etc/machine-id is empty), so it stays the same across reboots, as on a VM.
 *
 * @example
 * machineUuid('ss-1a2b3c4d5e6f-web-01')   // '3f2c...-....-4...-8...-............'
 */
export function machineUuid(netns: string): string {
  const h = createHash('sha256').update(`shipshape-lab ${netns}`).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Boots a host: `unshare --mount --pid --fork --kill-child ... /bin/sh host-boot.sh ...`,
 * detached, output (the host's console) to its console log. Returns the `unshare` process,
 * which lives as long as the host, across its reboots; SIGKILL to it ends the host at once.
 *
 * @example
 * h.proc = startHost(h, hostPaths(cluster, h.name), base, scripts.boot)
 */
export function startHost(h: HostState, paths: HostPaths, base: BasePaths, bootScript: string): ProcRef {
  const out = openSync(paths.console, 'a');
  writeSync(out, `--- ${new Date().toISOString()} starting ${h.name}\n`);
  try {
    const child = spawn('unshare', [
      '--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child', '--mount-proc',
      '/bin/sh', bootScript, h.netns, h.name, base.rootfs, paths.upper, paths.work, paths.merged, base.repo, base.wheelhouse,
      machineUuid(h.netns), ...hostCgroups(h.netns),
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

/** A process's PIDs from its outermost PID namespace in to its own (the NSpid line). */
function nsPids(pid: number): string[] {
  try {
    return /^NSpid:\s+(.+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.trim().split(/\s+/) ?? [];
  } catch {
    return [];
  }
}

/**
 * The wrapper script: PID 1 of the PID namespace `unshare` made, the one to ask for an orderly stop.
 *
 * @example
 * wrapperOf(h.proc)   // { pid: 4243, start: '226001' }
 */
export function wrapperOf(proc: ProcRef | undefined): ProcRef | undefined {
  if (!isAlive(proc)) return undefined;
  const pid = childrenOf(proc!.pid)[0];
  return pid === undefined ? undefined : procRef(pid);
}

/**
 * The host's systemd as seen from the controller: PID 1 of the PID namespace nspawn made,
 * two namespaces below `unshare` (unshare → wrapper → systemd-nspawn → systemd). Undefined
 * while the host is not booted, or between the two boots of a reboot.
 *
 * @example
 * initOf(h.proc)   // { pid: 4242, start: '226000' }
 */
export function initOf(proc: ProcRef | undefined): ProcRef | undefined {
  if (!isAlive(proc)) return undefined;
  const depth = nsPids(proc!.pid).length + 2;
  let level = [proc!.pid];
  for (let i = 0; i < 3 && level.length; i++) {
    level = level.flatMap(childrenOf);
    const init = level.find((p) => { const ns = nsPids(p); return ns.length === depth && ns[depth - 1] === '1'; });
    if (init !== undefined) return procRef(init);
  }
  return undefined;
}

/**
 * Waits up to `timeoutMs` for the host's systemd to appear (see {@link initOf}).
 *
 * @example
 * h.init = await findInit(h.proc)   // { pid: 4242, start: '226000' }
 */
export async function findInit(proc: ProcRef | undefined, timeoutMs = 10_000): Promise<ProcRef | undefined> {
  const until = Date.now() + timeoutMs;
  while (isAlive(proc)) {
    const ref = initOf(proc);
    if (ref) return ref;
    if (Date.now() > until) return undefined;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

/**
 * The host's running systemd: the recorded one, or, after a reboot, the new one.
 *
 * @example
 * liveInit(state.hosts[0])?.pid   // 4242
 */
export function liveInit(h: HostState): ProcRef | undefined {
  return isAlive(h.init) ? h.init : initOf(h.proc);
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
 * Stops a host: SIGTERM to the wrapper, which passes it to systemd-nspawn, which has the
 * host's systemd power off (services stop in order). If that has not worked within 15 s,
 * SIGKILL to `unshare` (--kill-child: the wrapper's PID namespace, host included, dies with
 * it), the wrapper and the host's systemd; then whatever is left in the host's cgroups is
 * killed by PID and its cgroups removed. True once it is all gone.
 *
 * @example
 * await Promise.all(state.hosts.map((h) => stopHost(h)))   // true per host once it is gone
 */
export async function stopHost(h: HostState): Promise<boolean> {
  const init = liveInit(h);
  const wrapper = wrapperOf(h.proc);
  const stopped = await stopProcs(wrapper ? [wrapper] : [], [h.proc, wrapper, init], wrapper ? STOP_GRACE_MS : 0);
  return (await removeHostCgroups(h.netns)) && stopped;
}
