/**
 * `shipshape lab`: real Debian test hosts from the seed's cluster.json, without VMs. Each node
 * becomes an overlay on a cached Debian base, in its own network/PID/mount/UTS namespaces on
 * the bridge ss-br0, running sshd, with its port_mappings forwarded on the controller.
 */
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ShipshapeError } from '../errors.js';
import { claimAddresses, withNetLock } from './addresses.js';
import { ensureBase, pruneBases } from './base.js';
import { readCluster, type ClusterNode } from './cluster.js';
import { checkPortsFree, FORWARDER, startForwarder, type Route } from './forwarder.js';
import { ensureHostKey, findInit, HOST_INIT, seedUpper, startHost, stopHost, waitForSsh } from './host.js';
import { addKnownHosts, knownHostName, type KnownHost } from './known-hosts.js';
import { withLock } from './lock.js';
import { createHostNet, ensureBridge } from './network.js';
import {
  basePaths, clusterKey, clusterPath, clusterPaths, defaultKnownHosts, hostPaths, labPaths, vagrantKeyPath,
  type BasePaths, type ClusterPaths, type LabPaths,
} from './paths.js';
import { preflight } from './preflight.js';
import { isAlive } from './proc.js';
import { debug } from './run.js';
import { allStates, readState, writeState, type ClusterState, type HostState } from './state.js';
import { netnsPrefix, teardown, vethPrefix } from './teardown.js';

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

interface Ctx {
  lab: LabPaths;
  file: string;
  key: string;
  cluster: ClusterPaths;
  log: (line: string) => void;
  knownHostsFile: string;
}

function context(clusterFile: string, opts: LabOptions): Ctx {
  const key = clusterKey(clusterFile);
  const lab = labPaths(opts.labDir);
  const user = opts.log;
  return {
    lab, file: clusterPath(clusterFile), key, cluster: clusterPaths(lab, key), log: (l) => { debug(l); user?.(l); },
    knownHostsFile: opts.knownHostsFile ?? defaultKnownHosts(),
  };
}

const configHash = (nodes: ClusterNode[]) => createHash('sha256').update(JSON.stringify(nodes)).digest('hex').slice(0, 16);

function labKeyText(lab: LabPaths): string | undefined {
  return existsSync(lab.sshKey) ? readFileSync(lab.sshKey, 'utf8') : undefined;
}

function toHosts(ctx: Ctx, state: ClusterState): LabHost[] {
  return state.hosts.map((h) => ({
    name: h.name, address: h.address, port: 22, user: 'vagrant' as const,
    privateKey: vagrantKeyPath(ctx.file, h.name), forwards: h.forwards.map((f) => ({ ...f })),
    running: isAlive(h.proc) && isAlive(h.init),
  }));
}

function healthy(state: ClusterState, hash: string, knownHostsFile: string): boolean {
  return state.configHash === hash && state.knownHostsFile === knownHostsFile && existsSync(basePaths(state.baseDir).stamp)
    && state.hosts.every((h) => isAlive(h.proc) && isAlive(h.init))
    && (state.hosts.every((h) => h.forwards.length === 0) || isAlive(state.forwarder));
}

/** Private keys next to cluster.json and host keys in known_hosts (idempotent: writes only what differs). */
function grantAccess(ctx: Ctx, state: ClusterState): void {
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
 * Brings up every node of `cluster.json` as a lab host and resolves when sshd answers on all
 * of them. A lab that is already up is left as it is; a stale or changed one is cleaned first.
 *
 * @example
 * const hosts = await labUp('examples/cluster.json', { log: console.log });
 * // ssh -p 22003 -i examples/.vagrant/machines/web-01/virtualbox/private_key vagrant@127.0.0.1
 */
export async function labUp(clusterFile: string, opts: LabOptions = {}): Promise<LabHost[]> {
  const nodes = readCluster(clusterFile);
  preflight();
  const ctx = context(clusterFile, opts);
  const knownHostsFile = ctx.knownHostsFile;
  return withLock(ctx.lab.lock, async () => {
    const hash = configHash(nodes);
    const old = readState(ctx.cluster.state);
    if (old && healthy(old, hash, knownHostsFile)) {
      grantAccess(ctx, old);
      ctx.log(`lab for ${ctx.file} is already up`);
      return toHosts(ctx, old);
    }
    if (old) ctx.log(`cleaning up the earlier lab of ${ctx.file} first (stale or changed)`);
    await teardown(ctx, old, labKeyText(ctx.lab));
    await checkPortsFree(nodes.flatMap((n) => n.port_mappings.map((m, j) => ({
      hostIp: m.host_ip, hostPort: m.host_port, node: n.host_name, field: `port_mappings[${j}]`,
    }))), clusterFile);
    const base = await ensureBase(ctx.lab, ctx.log);
    pruneBases(ctx.lab, new Set([base.dir, ...[...allStates(ctx.lab).values()].map((s) => s.baseDir)]));
    try {
      return await bringUp(ctx, nodes, hash, base, knownHostsFile);
    } catch (e) {
      await teardown(ctx, readState(ctx.cluster.state), labKeyText(ctx.lab)).catch((t) => debug('teardown after failure: %s', t));
      throw e;
    }
  }, { log: ctx.log });
}

function writeScripts(lab: LabPaths): { init: string; forwarder: string } {
  mkdirSync(lab.bin, { recursive: true });
  const init = join(lab.bin, 'host-init.sh');
  const forwarder = join(lab.bin, 'forwarder.cjs');
  for (const [file, text] of [[init, HOST_INIT], [forwarder, FORWARDER]] as const) {
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text, { mode: 0o755 });
  }
  return { init, forwarder };
}

async function bringUp(ctx: Ctx, nodes: ClusterNode[], hash: string, base: BasePaths, knownHostsFile: string): Promise<LabHost[]> {
  const t0 = Date.now();
  const scripts = writeScripts(ctx.lab);
  const state = await withNetLock(async () => {
    const addresses = await claimAddresses(ctx.cluster.state, nodes.map((n) => n.host_name));
    const s: ClusterState = {
      version: 1, clusterFile: ctx.file, configHash: hash, baseDir: base.dir, knownHostsFile,
      knownHostsTag: `shipshape-lab-${ctx.key}`, privateKeys: [],
      hosts: nodes.map((n, i) => ({
        name: n.host_name, address: addresses.get(n.host_name)!,
        netns: `${netnsPrefix(ctx.key)}${n.host_name}`, veth: `${vethPrefix(ctx.key)}${i}`,
        forwards: n.port_mappings.map((m) => ({ hostIp: m.host_ip, hostPort: m.host_port, guestPort: m.guest_port })),
      })),
    };
    // recorded before anything exists, so a crash from here on is cleaned by the next up or down
    writeState(ctx.cluster.state, s);
    await ensureBridge();
    await Promise.all(s.hosts.map(async (h) => {
      const paths = hostPaths(ctx.cluster, h.name);
      await ensureHostKey(paths, h.name);
      seedUpper(paths, h.name, h.address);
      await createHostNet(h.netns, h.veth, h.address);
    }));
    return s;
  }, ctx.log);
  await Promise.all(state.hosts.map((h) => boot(ctx, state, h, base, scripts.init)));
  const routes: Route[] = state.hosts.flatMap((h) => h.forwards.map((f) => ({ ...f, guestIp: h.address })));
  if (routes.length) {
    await startForwarder(scripts.forwarder, routes, ctx.cluster.forwarderLog, (ref) => { state.forwarder = ref; writeState(ctx.cluster.state, state); });
  }
  grantAccess(ctx, state);
  ctx.log(`lab up: ${state.hosts.length} host(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return toHosts(ctx, state);
}

/** Starts a seeded host and waits for its sshd, recording its processes as they appear. */
async function boot(ctx: Ctx, state: ClusterState, h: HostState, base: BasePaths, initScript: string): Promise<void> {
  const paths = hostPaths(ctx.cluster, h.name);
  h.init = undefined;
  h.proc = startHost(h, paths, base, initScript);
  writeState(ctx.cluster.state, state);
  h.init = await findInit(h.proc);
  writeState(ctx.cluster.state, state);
  await waitForSsh(h, paths);
}

/**
 * Stops every process the lab started for `cluster.json`, removes its namespaces, veths,
 * forwards, known_hosts lines and private keys, and the bridge when no other cluster is up.
 *
 * @example
 * await labDown('examples/cluster.json');
 */
export async function labDown(clusterFile: string, opts: LabOptions = {}): Promise<void> {
  preflight();
  const ctx = context(clusterFile, opts);
  await withLock(ctx.lab.lock, async () => {
    const state = readState(ctx.cluster.state);
    await teardown(ctx, state, labKeyText(ctx.lab));
    ctx.log(state ? `lab down: ${state.hosts.length} host(s) of ${ctx.file} removed` : `no lab was up for ${ctx.file}`);
  }, { log: ctx.log });
}

/**
 * Each host of `cluster.json`: name, address, forwards, and whether it runs. Nodes of a lab
 * that is not up are listed with `running: false` and an empty address.
 *
 * @example
 * for (const h of await labStatus('cluster.json')) console.log(h.name, h.address, h.running);
 */
export async function labStatus(clusterFile: string, opts: LabOptions = {}): Promise<LabHost[]> {
  const ctx = context(clusterFile, opts);
  const state = readState(ctx.cluster.state);
  if (state) return toHosts(ctx, state);
  return readCluster(clusterFile).map((n) => ({
    name: n.host_name, address: '', port: 22, user: 'vagrant' as const, privateKey: vagrantKeyPath(ctx.file, n.host_name),
    forwards: n.port_mappings.map((m) => ({ hostIp: m.host_ip, hostPort: m.host_port, guestPort: m.guest_port })), running: false,
  }));
}

/**
 * Wipes hosts back to the clean base (host keys and addresses stay) and restarts them; all
 * hosts unless `hosts` names some. A lab that is not up (or is broken) is brought up instead.
 *
 * @example
 * await labReset('cluster.json', { hosts: ['web-01'] });
 */
export async function labReset(clusterFile: string, opts: LabOptions & { hosts?: string[] } = {}): Promise<LabHost[]> {
  const nodes = readCluster(clusterFile);
  preflight();
  const ctx = context(clusterFile, opts);
  const unknown = (opts.hosts ?? []).filter((n) => !nodes.some((x) => x.host_name === n));
  if (unknown.length) {
    throw new ShipshapeError(`${clusterFile} has no host ${unknown.join(', ')}`, { fix: `hosts are: ${nodes.map((n) => n.host_name).join(', ')}` });
  }
  const hash = configHash(nodes);
  const knownHostsFile = ctx.knownHostsFile;
  const hosts = await withLock(ctx.lab.lock, async () => {
    const state = readState(ctx.cluster.state);
    if (!state || !resettable(state, hash, knownHostsFile)) return undefined;
    const t0 = Date.now();
    const base = basePaths(state.baseDir);
    const init = writeScripts(ctx.lab).init;
    const chosen = state.hosts.filter((h) => !opts.hosts?.length || opts.hosts.includes(h.name));
    await Promise.all(chosen.map(async (h) => {
      await stopHost(h);
      seedUpper(hostPaths(ctx.cluster, h.name), h.name, h.address);
      await boot(ctx, state, h, base, init);
    }));
    ctx.log(`lab reset: ${chosen.map((h) => h.name).join(', ')} in ${((Date.now() - t0) / 1000).toFixed(2)} s`);
    return toHosts(ctx, state);
  }, { log: ctx.log });
  if (hosts) return hosts;
  ctx.log(`lab for ${ctx.file} is not up (or is broken): bringing it up`);
  return labUp(clusterFile, opts);
}

/** A lab whose hosts can be restarted in place: same config, its namespaces and forwarder still there. */
function resettable(state: ClusterState, hash: string, knownHostsFile: string): boolean {
  return state.configHash === hash && state.knownHostsFile === knownHostsFile && existsSync(basePaths(state.baseDir).stamp)
    && state.hosts.every((h) => existsSync(`/run/netns/${h.netns}`))
    && (state.hosts.every((h) => h.forwards.length === 0) || isAlive(state.forwarder));
}
