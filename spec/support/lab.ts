// Test support for anything that needs real hosts: bring a lab up for the duration of a
// callback, and talk to its hosts with the system ssh client (strict host key checking).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, type LabHost, type LabOptions } from '../../lib/lab/index.js';
import { cgroupProcs, hostCgroups } from '../../lib/lab/cgroup.js';
import { liveInit } from '../../lib/lab/host.js';
import { knownHostsTagged } from '../../lib/lab/known-hosts.js';
import { clusterKey, clusterPaths, hostPaths, labPaths } from '../../lib/lab/paths.js';
import { isAlive, pidNamespaceMembers } from '../../lib/lab/proc.js';
import { readState, type ClusterState } from '../../lib/lab/state.js';

/**
 * Brings up a lab from a cluster.json path or object (written to a temp dir), runs `fn`, and
 * always tears the lab down, also when `fn` or `up` throws.
 *
 * @example
 * await withLab({ nodes: [{ host_name: 'web-01', port_mappings: [{ guest_port: 22, host_port: 22103, host_ip: '127.0.0.1' }] }] },
 *   async (hosts) => { assert.is((await ssh(hosts[0], 'hostname')).stdout.trim(), 'web-01'); });
 */
export async function withLab<T>(
  cluster: string | object,
  fn: (hosts: LabHost[], clusterFile: string) => Promise<T>,
  opts: LabOptions = {},
): Promise<T> {
  let file: string;
  let tmp: string | undefined;
  if (typeof cluster === 'string') {
    file = cluster;
  } else {
    tmp = mkdtempSync(join(tmpdir(), 'shipshape-lab-'));
    file = join(tmp, 'cluster.json');
    writeFileSync(file, JSON.stringify(cluster, null, 2) + '\n');
  }
  let failed = false;
  // if fn waits on something that can never settle, the event loop empties: tear down anyway
  const onBeforeExit = () => { labDown(file, opts).catch((e) => console.error('lab down failed:', e)); };
  process.once('beforeExit', onBeforeExit);
  try {
    return await fn(await labUp(file, opts), file);
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    process.off('beforeExit', onBeforeExit);
    try {
      await labDown(file, opts);
    } catch (e) {
      if (!failed) throw e;
      console.error('lab down failed after an earlier error:', e);
    } finally {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
  }
}

export interface SshResult { code: number; stdout: string; stderr: string }

/**
 * Runs `command` on a lab host with the system `ssh` client, checking its host key against
 * ~/.ssh/known_hosts (where `lab up` recorded it). `via: 'forward'` goes through the forwarded
 * SSH port on the controller instead of the host's own address.
 */
export function ssh(
  host: LabHost,
  command: string,
  opts: { via?: 'address' | 'forward'; user?: string; knownHosts?: string; input?: string; identity?: string } = {},
): Promise<SshResult> {
  let address = host.address;
  let port = host.port;
  if (opts.via === 'forward') {
    const f = host.forwards.find((x) => x.guestPort === 22);
    if (!f) throw new Error(`host ${host.name} has no forwarded SSH port`);
    address = f.hostIp === '0.0.0.0' ? '127.0.0.1' : f.hostIp;
    port = f.hostPort;
  }
  const args = [
    '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${opts.knownHosts ?? join(homedir(), '.ssh', 'known_hosts')}`,
    // Only that key: no agent, no other identity (what an authorized key lets in).
    ...(opts.identity ? ['-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none'] : []),
    '-o', 'ConnectTimeout=10', '-o', 'LogLevel=ERROR',
    '-i', opts.identity ?? host.privateKey, '-p', String(port), `${opts.user ?? host.user}@${address}`, command,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 255, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * What a lab left behind after `lab down`, judged from the state it recorded while up:
 * namespaces, veths, mounts, live processes, cgroups, nspawn's runtime dirs, known_hosts lines,
 * private keys. Empty when clean.
 */
export async function labLeftovers(state: ClusterState): Promise<string[]> {
  const out = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' }).stdout ?? '';
  const problems: string[] = [];
  const netns = out('ip', ['netns', 'list']);
  const links = out('ip', ['-o', 'link', 'show']);
  const mounts = out('findmnt', ['-rn', '-o', 'TARGET']);
  for (const h of state.hosts) {
    if (netns.split('\n').some((l) => l.split(' ')[0] === h.netns)) problems.push(`namespace ${h.netns}`);
    if (links.includes(` ${h.veth}@`) || links.includes(` ${h.veth}:`)) problems.push(`veth ${h.veth}`);
    if (mounts.includes(h.netns)) problems.push(`mount of ${h.netns}`);
    for (const p of [h.proc, h.init]) if (isAlive(p)) problems.push(`process ${p!.pid} of ${h.name}`);
    for (const p of cgroupProcs(h.netns)) problems.push(`process ${p.pid} in ${h.name}'s cgroups`);
    for (const d of hostCgroups(h.netns)) if (existsSync(d)) problems.push(`cgroup ${d}`);
    for (const d of ['propagate', 'locks'].map((x) => `/run/systemd/nspawn/${x}/${h.netns}`)) if (existsSync(d)) problems.push(`nspawn dir ${d}`);
  }
  if (isAlive(state.forwarder)) problems.push(`forwarder process ${state.forwarder!.pid}`);
  const key = state.knownHostsTag.replace('shipshape-lab-', '');
  if (mounts.includes(key)) problems.push(`a mount under the cluster's state dir (${key})`);
  if (knownHostsTagged(state.knownHostsFile, state.knownHostsTag).length) problems.push(`known_hosts lines tagged ${state.knownHostsTag}`);
  for (const f of state.privateKeys) if (existsSync(f)) problems.push(`private key ${f}`);
  return problems;
}

/** The state a lab recorded for a cluster file (undefined when it is not up). */
export function labState(clusterFile: string, labDir?: string): ClusterState | undefined {
  return readState(clusterPaths(labPaths(labDir), clusterKey(clusterFile)).state);
}

/** Where a path of a lab host's root filesystem is kept on the controller (its overlay upper): files the host wrote. */
export function upperPath(clusterFile: string, host: string, path: string, labDir?: string): string {
  return join(hostPaths(clusterPaths(labPaths(labDir), clusterKey(clusterFile)), host).upper, path);
}

/** PIDs of a lab host's processes named `comm` (as seen from the controller), by its recorded init. */
export function hostPids(clusterFile: string, host: string, comm: string, labDir?: string): number[] {
  const h = labState(clusterFile, labDir)?.hosts.find((x) => x.name === host);
  const init = h && liveInit(h);
  if (!init) return [];
  return pidNamespaceMembers(init.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm;
    } catch {
      return false;
    }
  });
}

/** Polls until `check` holds (bounded): the one poll helper of the specs, under the name the lab specs use. */
export { waitFor as waitUntil } from './wait.js';

/** PID of a lab host's sshd listener (the child of its systemd; sessions are its children), as seen from the controller. */
export function sshdPid(clusterFile: string, host: string, labDir?: string): number | undefined {
  const h = labState(clusterFile, labDir)?.hosts.find((x) => x.name === host);
  const init = h && liveInit(h);
  return hostPids(clusterFile, host, 'sshd', labDir).find((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === init?.pid;
    } catch {
      return false;
    }
  });
}
