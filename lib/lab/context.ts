/** What every lab command works with: paths, the log, the hosts as callers see them, and access to them. */
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ClusterNode } from './cluster.js';
import { FORWARDER, type Route } from './forwarder.js';
import { findInit, HOST_BOOT, liveInit, startHost, waitForSsh } from './host.js';
import { addKnownHosts, knownHostName, type KnownHost } from './known-hosts.js';
import {
  clusterKey, clusterPath, clusterPaths, defaultKnownHosts, hostPaths, labPaths, vagrantKeyPath,
  type BasePaths, type ClusterPaths, type LabPaths,
} from './paths.js';
import { isAlive } from './proc.js';
import { debug } from './run.js';
import { writeState, type ClusterState, type HostState } from './state.js';

export interface LabForward { hostIp: string; hostPort: number; guestPort: number }
export interface LabHost {
  name: string;
  /** The host's own address on the lab bridge (10.77.0.x); sshd listens on `port` there. */
  address: string;
  port: number;
  user: 'vagrant';
  /** Absolute path of the private key (`.vagrant/machines/<name>/virtualbox/private_key` next to cluster.json). */
  privateKey: string;
  forwards: LabForward[];
  running: boolean;
}
export interface LabOptions {
  /** Default: $SHIPSHAPE_LAB_DIR, else /var/cache/shipshape/lab. */
  labDir?: string;
  /** Progress lines for a person (the CLI prints them). */
  log?: (line: string) => void;
  /** Where host keys are recorded; default ~/.ssh/known_hosts. */
  knownHostsFile?: string;
}

export interface Ctx {
  lab: LabPaths;
  file: string;
  key: string;
  cluster: ClusterPaths;
  log: (line: string) => void;
  knownHostsFile: string;
}

/**
 * Paths and settings of one lab command on one cluster file.
 *
 * @example
 * const ctx = context('cluster.json', { log: console.log });   // ctx.cluster.state
 */
export function context(clusterFile: string, opts: LabOptions): Ctx {
  const key = clusterKey(clusterFile);
  const lab = labPaths(opts.labDir);
  const user = opts.log;
  return {
    lab, file: clusterPath(clusterFile), key, cluster: clusterPaths(lab, key), log: (l) => { debug(l); user?.(l); },
    knownHostsFile: opts.knownHostsFile ?? defaultKnownHosts(),
  };
}

/**
 * Hash of the validated nodes, recorded in the state (for people reading it: `up` decides host by host).
 *
 * @example
 * configHash(readCluster('cluster.json'))   // '0123456789abcdef'
 */
export const configHash = (nodes: ClusterNode[]): string => createHash('sha256').update(JSON.stringify(nodes)).digest('hex').slice(0, 16);

/**
 * The lab's private key text, to tell keys the lab wrote from a user's own.
 *
 * @example
 * labKeyText(ctx.lab)   // '-----BEGIN OPENSSH PRIVATE KEY-----...'
 */
export function labKeyText(lab: LabPaths): string | undefined {
  return existsSync(lab.sshKey) ? readFileSync(lab.sshKey, 'utf8') : undefined;
}

/**
 * A recorded host as callers see it.
 *
 * @example
 * toHost(ctx, state.hosts[0])   // { name: 'web-01', address: '10.77.0.11', port: 22, running: true, ... }
 */
export function toHost(ctx: Ctx, h: HostState): LabHost {
  return {
    name: h.name, address: h.address, port: 22, user: 'vagrant',
    privateKey: vagrantKeyPath(ctx.file, h.name), forwards: h.forwards.map((f) => ({ ...f })),
    running: isAlive(h.proc) && !!liveInit(h),
  };
}

/**
 * The forwarder's routes for the hosts that are up, in their order.
 *
 * @example
 * routesOf(state)   // [{ hostIp: '127.0.0.1', hostPort: 22003, guestIp: '10.77.0.11', guestPort: 22 }]
 */
export function routesOf(state: ClusterState): Route[] {
  return state.hosts.flatMap((h) => h.forwards.map((f) => ({ ...f, guestIp: h.address })));
}

/**
 * Private keys next to cluster.json and host keys in known_hosts for the hosts that are up
 * (idempotent: writes only what differs; lines of hosts no longer up go).
 *
 * @example
 * grantAccess(ctx, state)
 */
export function grantAccess(ctx: Ctx, state: ClusterState): void {
  const key = readFileSync(ctx.lab.sshKey, 'utf8');
  // the keys belong to whoever owns the project (the lab runs as root, often through sudo)
  const owner = statSync(dirname(ctx.file));
  for (const h of state.hosts) {
    const file = vagrantKeyPath(ctx.file, h.name);
    if (!state.privateKeys.includes(file)) { state.privateKeys.push(file); writeState(ctx.cluster.state, state); }
    if (!existsSync(file) || readFileSync(file, 'utf8') !== key) {
      const made = mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, key, { mode: 0o600 });
      for (let d = dirname(file); made && d.length >= made.length; d = dirname(d)) chownSync(d, owner.uid, owner.gid);
    }
    chmodSync(file, 0o600);
    chownSync(file, owner.uid, owner.gid);
  }
  const entries: KnownHost[] = [];
  for (const h of state.hosts) {
    const hostKey = readFileSync(join(hostPaths(ctx.cluster, h.name).keys, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    entries.push({ host: knownHostName(h.address, 22), key: hostKey });
    for (const f of h.forwards) {
      if (f.guestPort === 22) entries.push({ host: knownHostName(f.hostIp === '0.0.0.0' ? '127.0.0.1' : f.hostIp, f.hostPort), key: hostKey });
    }
  }
  addKnownHosts(state.knownHostsFile, entries, state.knownHostsTag);
}

/**
 * The host boot script and the forwarder, written into the lab dir when they differ. The boot
 * script's name carries a hash of its text: hosts of another shipshape version running at the
 * same time keep theirs.
 *
 * @example
 * const { boot } = writeScripts(ctx.lab)   // '/var/cache/shipshape/lab/bin/host-boot-0123abcd.sh'
 */
export function writeScripts(lab: LabPaths): { boot: string; forwarder: string } {
  mkdirSync(lab.bin, { recursive: true });
  const boot = join(lab.bin, `host-boot-${createHash('sha256').update(HOST_BOOT).digest('hex').slice(0, 8)}.sh`);
  const forwarder = join(lab.bin, 'forwarder.cjs');
  for (const [file, text] of [[boot, HOST_BOOT], [forwarder, FORWARDER]] as const) {
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text, { mode: 0o755 });
  }
  return { boot, forwarder };
}

/**
 * Starts a seeded host and waits for its sshd, recording its processes as they appear.
 *
 * @example
 * await boot(ctx, state, h, basePaths(state.baseDir), writeScripts(ctx.lab).boot)
 */
export async function boot(ctx: Ctx, state: ClusterState, h: HostState, base: BasePaths, bootScript: string): Promise<void> {
  const paths = hostPaths(ctx.cluster, h.name);
  h.init = undefined;
  h.proc = startHost(h, paths, base, bootScript);
  writeState(ctx.cluster.state, state);
  h.init = await findInit(h.proc);
  writeState(ctx.cluster.state, state);
  await waitForSsh(h, paths);
  if (!isAlive(h.init)) {
    h.init = liveInit(h);
    writeState(ctx.cluster.state, state);
  }
}
