/**
 * Per-cluster lab state: everything `up` creates is written here as it is created, so `down`
 * can undo it after a crash.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LabPaths } from './paths.js';
import type { ProcRef } from './proc.js';

export interface HostState {
  name: string;
  address: string;
  netns: string;
  veth: string;
  /** The wrapper that runs systemd-nspawn (again after a reboot), in the host's own mount namespace. */
  proc?: ProcRef;
  /** The host's systemd (PID 1 of its PID namespace) as seen from the controller; a reboot starts a new one. */
  init?: ProcRef;
  forwards: { hostIp: string; hostPort: number; guestPort: number }[];
}

export interface ClusterState {
  version: 1;
  clusterFile: string;
  /** Hash of the validated nodes: a changed cluster.json is brought up afresh. */
  configHash: string;
  baseDir: string;
  knownHostsFile: string;
  /** The comment that marks this cluster's known_hosts lines. */
  knownHostsTag: string;
  privateKeys: string[];
  forwarder?: ProcRef;
  /** The routes the forwarder was started with (JSON), so `up` restarts it only when they change. */
  forwarderRoutes?: string;
  /** The hosts that are up (or were, and are broken), in the order of cluster.json. */
  hosts: HostState[];
}

/**
 * A cluster's recorded state; undefined when there is none or it is unreadable, so `down`
 * falls back to cleaning up by name.
 *
 * @example
 * readState(clusterPaths(labPaths(), clusterKey('cluster.json')).state)?.hosts.map((h) => h.address)   // ['10.77.0.11']
 */
export function readState(file: string): ClusterState | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
    return s.version === 1 && Array.isArray(s.hosts) ? s : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes the state atomically (a crash never leaves half a file).
 *
 * @example
 * writeState(ctx.cluster.state, state)
 */
export function writeState(file: string, state: ClusterState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  renameSync(tmp, file);
}

/**
 * The states of all clusters in the lab dir, keyed by cluster key: which bases are still
 * in use.
 *
 * @example
 * [...allStates(labPaths()).values()].map((s) => s.baseDir)
 */
export function allStates(lab: LabPaths): Map<string, ClusterState> {
  const out = new Map<string, ClusterState>();
  if (!existsSync(lab.clusters)) return out;
  for (const key of readdirSync(lab.clusters)) {
    const s = readState(join(lab.clusters, key, 'state.json'));
    if (s) out.set(key, s);
  }
  return out;
}
