/**
 * `shipshape lab`: real Debian test hosts from the seed's cluster.json, without VMs. Each node
 * becomes an overlay on a cached Debian base booted with systemd under systemd-nspawn, in its
 * own network namespace on the bridge ss-br0, running sshd, with its port_mappings forwarded on
 * the controller.
 */
import { ShipshapeError } from '../errors.js';
import { readCluster, type ClusterNode } from './cluster.js';
import { context, labKeyText, toHost, type LabHost, type LabOptions } from './context.js';
import { converge, dropHosts } from './converge.js';
import { withLock } from './lock.js';
import { vagrantKeyPath } from './paths.js';
import { preflight } from './preflight.js';
import { readState } from './state.js';
import { teardown } from './teardown.js';

export type { LabForward, LabHost, LabOptions } from './context.js';

/** Which hosts a lab command is about: every node of cluster.json unless `hosts` names some. */
export interface LabHostsOption {
  /** Only these hosts (names of cluster.json nodes); the others are left as they are. */
  hosts?: string[];
}

function checkNames(nodes: ClusterNode[], hosts: string[] | undefined, clusterFile: string): void {
  const unknown = (hosts ?? []).filter((n) => !nodes.some((x) => x.host_name === n));
  if (unknown.length) {
    throw new ShipshapeError(`${clusterFile} has no host ${unknown.join(', ')}`, { fix: `hosts are: ${nodes.map((n) => n.host_name).join(', ')}` });
  }
}

/**
 * Brings up the nodes of `cluster.json` (all, or `hosts`) as lab hosts and resolves when sshd
 * answers on them. Hosts that are up and healthy are left as they are (same processes, same
 * files); only broken ones are repaired: a host whose init died is booted again on its own
 * files, a downed or missing link is mended in place, changed port_mappings change the
 * forwards. Returns the hosts that are up.
 *
 * @example
 * const hosts = await labUp('examples/cluster.json', { log: console.log });
 * await labUp('examples/cluster.json', { hosts: ['web-01'] });   // repair or start web-01 only
 * // ssh -p 22003 -i examples/.vagrant/machines/web-01/virtualbox/private_key vagrant@127.0.0.1
 */
export async function labUp(clusterFile: string, opts: LabOptions & LabHostsOption = {}): Promise<LabHost[]> {
  const nodes = readCluster(clusterFile);
  checkNames(nodes, opts.hosts, clusterFile);
  preflight();
  const ctx = context(clusterFile, opts);
  const state = await withLock(ctx.lab.lock, () => converge(ctx, nodes, { only: opts.hosts }), { log: ctx.log });
  return state.hosts.map((h) => toHost(ctx, h));
}

/**
 * Stops every process the lab started for `cluster.json`, removes its namespaces, veths,
 * forwards, known_hosts lines and private keys, and the bridge when no other cluster is up.
 * With `hosts`, only those hosts go; the others keep running.
 *
 * @example
 * await labDown('examples/cluster.json');
 * await labDown('examples/cluster.json', { hosts: ['web-02'] });
 */
export async function labDown(clusterFile: string, opts: LabOptions & LabHostsOption = {}): Promise<void> {
  preflight();
  const ctx = context(clusterFile, opts);
  await withLock(ctx.lab.lock, async () => {
    const state = readState(ctx.cluster.state);
    if (opts.hosts?.length) {
      const up = opts.hosts.filter((n) => state?.hosts.some((h) => h.name === n));
      const down = opts.hosts.filter((n) => !up.includes(n));
      if (down.length) ctx.log(`${down.join(', ')}: not up in the lab of ${ctx.file}`);
      if (!state || !up.length) return;
      const left = state.hosts.length - up.length;
      await dropHosts(ctx, state, up);
      ctx.log(`lab down: ${up.join(', ')} removed; ${left ? `${left} host(s) still up` : 'no host left'}`);
      return;
    }
    await teardown(ctx, state, labKeyText(ctx.lab));
    ctx.log(state ? `lab down: ${state.hosts.length} host(s) of ${ctx.file} removed` : `no lab was up for ${ctx.file}`);
  }, { log: ctx.log });
}

/**
 * Each node of `cluster.json`: name, address, forwards, and whether it runs. Nodes that are
 * not up are listed with `running: false` and an empty address.
 *
 * @example
 * for (const h of await labStatus('cluster.json')) console.log(h.name, h.address, h.running);
 */
export async function labStatus(clusterFile: string, opts: LabOptions = {}): Promise<LabHost[]> {
  const ctx = context(clusterFile, opts);
  const state = readState(ctx.cluster.state);
  let nodes: ClusterNode[];
  try {
    nodes = readCluster(clusterFile);
  } catch (e) {
    if (state) return state.hosts.map((h) => toHost(ctx, h));
    throw e;
  }
  return nodes.map((n) => {
    const h = state?.hosts.find((x) => x.name === n.host_name);
    if (h) return toHost(ctx, h);
    return {
      name: n.host_name, address: '', port: 22, user: 'vagrant' as const, privateKey: vagrantKeyPath(ctx.file, n.host_name),
      forwards: n.port_mappings.map((m) => ({ hostIp: m.host_ip, hostPort: m.host_port, guestPort: m.guest_port })), running: false,
    };
  });
}

/**
 * Wipes hosts back to the clean base (host keys and addresses stay) and restarts them; all
 * hosts unless `hosts` names some. The others are left as they are; a host that is not up
 * is brought up.
 *
 * @example
 * await labReset('cluster.json', { hosts: ['web-01'] });
 */
export async function labReset(clusterFile: string, opts: LabOptions & LabHostsOption = {}): Promise<LabHost[]> {
  const nodes = readCluster(clusterFile);
  checkNames(nodes, opts.hosts, clusterFile);
  preflight();
  const ctx = context(clusterFile, opts);
  const t0 = Date.now();
  const wipe = opts.hosts?.length ? opts.hosts : nodes.map((n) => n.host_name);
  const state = await withLock(ctx.lab.lock, () => converge(ctx, nodes, { only: opts.hosts, wipe }), { log: ctx.log });
  ctx.log(`lab reset: ${wipe.join(', ')} in ${((Date.now() - t0) / 1000).toFixed(2)} s`);
  return state.hosts.map((h) => toHost(ctx, h));
}
