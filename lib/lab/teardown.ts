/** Undoing a cluster's lab: processes, namespaces, veths, forwards, known_hosts lines, keys, state. */
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { releaseAddresses, withNetLock } from './addresses.js';
import { cgroupsWithPrefix, removeHostCgroups } from './cgroup.js';
import { stopHost } from './host.js';
import { removeKnownHosts } from './known-hosts.js';
import { findLeftovers, removeBridgeIfUnused, removeHostNet } from './network.js';
import type { ClusterPaths, LabPaths } from './paths.js';
import { procsWithArgUnder, stopProcs } from './proc.js';
import { removeTree } from './remove.js';
import type { ClusterState } from './state.js';

/**
 * Names of a cluster's namespaces and veths all start with these (the cluster key is in them).
 *
 * @example
 * netnsPrefix('1a2b3c4d5e6f')   // 'ss-1a2b3c4d5e6f-'
 */
export function netnsPrefix(key: string): string {
  return `ss-${key}-`;
}
/**
 * Veth names start with this; shorter than {@link netnsPrefix} because interface names hold
 * at most 15 characters.
 *
 * @example
 * vethPrefix('1a2b3c4d5e6f')   // 's1a2b3c4d5e-'
 */
export function vethPrefix(key: string): string {
  return `s${key.slice(0, 10)}-`;
}

export interface TeardownContext {
  lab: LabPaths;
  key: string;
  cluster: ClusterPaths;
  log: (line: string) => void;
  /** Where known_hosts lines are, when no state says so. */
  knownHostsFile: string;
}

/**
 * Removes everything `state` records, then anything named after the cluster that a crash
 * left unrecorded, then the state itself; the bridge goes when no host of any lab is on it.
 * Every step tolerates what is already gone, so it also cleans a half-created lab.
 *
 * @example
 * await teardown(ctx, readState(ctx.cluster.state))
 */
export async function teardown(ctx: TeardownContext, state: ClusterState | undefined, labKey?: string): Promise<void> {
  if (state) {
    await stopProcs([state.forwarder], [state.forwarder]);
    await Promise.all(state.hosts.map((h) => stopHost(h)));
    if (state.knownHostsFile && state.knownHostsTag) removeKnownHosts(state.knownHostsFile, state.knownHostsTag);
    for (const file of state.privateKeys) removeOurKey(file, labKey);
  } else {
    removeKnownHosts(ctx.knownHostsFile, `shipshape-lab-${ctx.key}`);
  }
  // processes a crash left unrecorded: hosts' wrappers and systemd-nspawn (their arguments name
  // their dirs) and the forwarder (its log is an argument); then all in the hosts' cgroups
  const stray = procsWithArgUnder(ctx.cluster.dir);
  if (stray.length) await stopProcs([], stray, 0);
  for (const netns of cgroupsWithPrefix(netnsPrefix(ctx.key))) await removeHostCgroups(netns);
  await withNetLock(async () => {
    for (const h of state?.hosts ?? []) await removeHostNet(h.netns, h.veth);
    const left = await findLeftovers(netnsPrefix(ctx.key), vethPrefix(ctx.key));
    for (const v of left.veths) await removeHostNet('', v);
    for (const n of left.netns) await removeHostNet(n, '');
    releaseAddresses(ctx.cluster.state);
    await removeBridgeIfUnused();
  }, ctx.log);
  removeTree(ctx.cluster.dir);
}

/**
 * Deletes a private key the lab wrote (only if it still is the lab's), and the empty .vagrant
 * dirs above it.
 *
 * @example
 * removeOurKey('/srv/demo/.vagrant/machines/web-01/virtualbox/private_key', labKeyText)
 */
export function removeOurKey(file: string, labKey: string | undefined): void {
  if (!existsSync(file)) return;
  if (labKey !== undefined && readFileSync(file, 'utf8') !== labKey) return;
  rmSync(file, { force: true });
  // .vagrant/machines/<host>/virtualbox/private_key: prune up to and including .vagrant
  let dir = dirname(file);
  for (let i = 0; i < 4; i++) {
    try {
      if (readdirSync(dir).length) break;
      rmdirSync(dir);
    } catch {
      break;
    }
    dir = dirname(dir);
  }
}
