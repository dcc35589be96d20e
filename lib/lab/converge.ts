/**
 * `lab up`, `reset` and `down` host by host: a healthy host is left alone (same processes,
 * same files); a broken one is repaired in what is broken: a dead host is booted again on its
 * own files, a downed or missing link is mended without touching its processes, changed
 * port_mappings only change the forwards.
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { claimAddresses, withNetLock } from './addresses.js';
import { ensureBase, pruneBases } from './base.js';
import type { ClusterNode } from './cluster.js';
import { boot, configHash, grantAccess, labKeyText, routesOf, writeScripts, type Ctx } from './context.js';
import { checkPortsFree, startForwarder, type WantedPort } from './forwarder.js';
import { ensureHostKey, findInit, seedUpper, sshAnswers, stopHost } from './host.js';
import { removeKnownHosts } from './known-hosts.js';
import { createHostNet, ensureBridge, hostNetProblem, removeHostNet, repairHostLink, type NetProblem } from './network.js';
import { basePaths, hostPaths, type BasePaths } from './paths.js';
import { isAlive, stopProcs } from './proc.js';
import { removeTree } from './remove.js';
import { Semaphore } from '../transport/semaphore.js';
import { debug } from './run.js';
import { allStates, readState, writeState, type ClusterState, type HostState } from './state.js';
import { netnsPrefix, removeOurKey, teardown, vethPrefix } from './teardown.js';

export interface ConvergeOptions {
  /** Only these hosts; default every node of cluster.json (and hosts no longer in it are removed). */
  only?: string[];
  /** Wipe these back to the clean base and restart them (`lab reset`). */
  wipe?: string[];
}

/** What a host needs: nothing, to be made, its files wiped and a boot, a boot on its own files, or its link mended. */
type Verdict =
  | { do: 'keep' }
  | { do: 'create'; why: string }
  | { do: 'rebuild' | 'restart'; why: string; net?: NetProblem }
  | { do: 'relink'; why: string; net: NetProblem };

/** sshd of a running host answers within a few tries; a busy machine can be slow to accept. */
async function sshdAnswers(address: string): Promise<boolean> {
  for (let i = 0; i < 3; i++) if (await sshAnswers(address, 2000)) return true;
  return false;
}

async function diagnose(h: HostState | undefined, wipe: boolean): Promise<Verdict> {
  if (!h) return { do: 'create', why: 'not up' };
  const net = await hostNetProblem(h.netns, h.veth, h.address);
  if (wipe) return { do: 'rebuild', why: 'reset to the clean base', net };
  if (!isAlive(h.proc)) return { do: 'restart', why: 'its init process is not running', net };
  // after a reboot inside, the host runs a new systemd: record that one (a rebooting host gets a few seconds)
  const init = isAlive(h.init) ? h.init : await findInit(h.proc, 5000);
  if (!init) return { do: 'restart', why: 'its init process is not running', net };
  h.init = init;
  // the processes hold the old namespace: only a restart puts them into a new one
  if (net?.kind === 'netns') return { do: 'restart', why: net.why, net };
  if (net) return { do: 'relink', why: net.why, net };
  if (!(await sshdAnswers(h.address))) return { do: 'restart', why: `sshd does not answer on ${h.address}:22` };
  return { do: 'keep' };
}

const DONE: Record<Exclude<Verdict['do'], 'keep'>, string> = {
  create: 'created', rebuild: 'wiped back to the clean base and restarted', restart: 'restarted on its own files', relink: 'link repaired',
};

const sameForwards = (h: HostState, n: ClusterNode) =>
  JSON.stringify(h.forwards) === JSON.stringify(forwardsOf(n));
const forwardsOf = (n: ClusterNode) => n.port_mappings.map((m) => ({ hostIp: m.host_ip, hostPort: m.host_port, guestPort: m.guest_port }));

function wantedPorts(nodes: ClusterNode[]): WantedPort[] {
  return nodes.flatMap((n) => n.port_mappings.map((m, j) => ({ hostIp: m.host_ip, hostPort: m.host_port, node: n.host_name, field: `port_mappings[${j}]` })));
}

/**
 * Brings the chosen nodes of cluster.json to running hosts, touching only what is broken, and
 * returns the cluster's state. A cluster with no lab yet (or whose base is gone) is made
 * afresh; on a failure then, everything made so far is removed again.
 *
 * @example
 * await withLock(ctx.lab.lock, () => converge(ctx, readCluster(file), { only: ['web-01'] }))
 */
export async function converge(ctx: Ctx, nodes: ClusterNode[], opts: ConvergeOptions = {}): Promise<ClusterState> {
  const t0 = Date.now();
  const only = opts.only?.length ? new Set(opts.only) : undefined;
  const chosen = nodes.filter((n) => !only || only.has(n.host_name));
  let state = readState(ctx.cluster.state);
  if (state && !existsSync(basePaths(state.baseDir).stamp)) {
    ctx.log(`cleaning up the earlier lab of ${ctx.file} first (its base is gone)`);
    await teardown(ctx, state, labKeyText(ctx.lab));
    state = undefined;
  }
  if (state) return repair(ctx, state, nodes, chosen, !only, new Set(opts.wipe), t0);
  // nothing recorded: clean up what a crash may have left unrecorded, then make the hosts
  await teardown(ctx, undefined, labKeyText(ctx.lab));
  await checkPortsFree(wantedPorts(chosen), ctx.file);
  const base = await ensureBase(ctx.lab, ctx.log);
  pruneBases(ctx.lab, new Set([base.dir, ...[...allStates(ctx.lab).values()].map((s) => s.baseDir)]));
  const fresh: ClusterState = {
    version: 1, clusterFile: ctx.file, configHash: configHash(nodes), baseDir: base.dir, knownHostsFile: ctx.knownHostsFile,
    knownHostsTag: `shipshape-lab-${ctx.key}`, privateKeys: [], hosts: [],
  };
  try {
    await apply(ctx, fresh, nodes, new Map(chosen.map((n) => [n.host_name, { do: 'create', why: 'not up' } as Verdict])), base);
  } catch (e) {
    await teardown(ctx, readState(ctx.cluster.state), labKeyText(ctx.lab)).catch((t) => debug('teardown after failure: %s', t));
    throw e;
  }
  ctx.log(`lab up: ${fresh.hosts.length} host(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return fresh;
}

async function repair(
  ctx: Ctx, state: ClusterState, nodes: ClusterNode[], chosen: ClusterNode[], all: boolean, wipe: Set<string>, t0: number,
): Promise<ClusterState> {
  if (state.knownHostsFile !== ctx.knownHostsFile) {
    removeKnownHosts(state.knownHostsFile, state.knownHostsTag);
    state.knownHostsFile = ctx.knownHostsFile;
  }
  state.configHash = configHash(nodes);
  const gone = all ? state.hosts.filter((h) => !nodes.some((n) => n.host_name === h.name)).map((h) => h.name) : [];
  if (gone.length) {
    await dropHosts(ctx, state, gone);
    ctx.log(`${gone.join(', ')}: removed (no longer in ${ctx.file})`);
  }
  const verdicts = new Map(await Promise.all(chosen.map(async (n) =>
    [n.host_name, await diagnose(state.hosts.find((h) => h.name === n.host_name), wipe.has(n.host_name))] as const)));
  // ports the running forwarder does not hold yet must be free before anything changes
  const held = isAlive(state.forwarder) ? routesOf(state) : [];
  const wanted = wantedPorts(nodes.filter((n) => state.hosts.some((h) => h.name === n.host_name) || verdicts.has(n.host_name)));
  await checkPortsFree(wanted.filter((p) => !held.some((r) => r.hostIp === p.hostIp && r.hostPort === p.hostPort)), ctx.file);
  // changed port_mappings change the forwards only: the host itself does not depend on them
  const remapped = chosen.filter((n) => { const h = state.hosts.find((x) => x.name === n.host_name); return h && !sameForwards(h, n); });
  for (const n of remapped) state.hosts.find((h) => h.name === n.host_name)!.forwards = forwardsOf(n);
  await apply(ctx, state, nodes, verdicts, basePaths(state.baseDir));
  const done = [...verdicts].filter(([, v]) => v.do !== 'keep') as [string, Exclude<Verdict, { do: 'keep' }>][];
  for (const [name, v] of done) ctx.log(`${name}: ${DONE[v.do]} (${v.why})`);
  for (const n of remapped) ctx.log(`${n.host_name}: forwards updated (port_mappings changed in ${ctx.file})`);
  const kept = [...verdicts.values()].filter((v) => v.do === 'keep').length;
  if (!done.length && !remapped.length && !gone.length) ctx.log(`lab for ${ctx.file} is already up`);
  else ctx.log(`lab up: ${done.length} host(s) repaired, ${kept} already up and left as they were, in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return state;
}

/** Carries out the verdicts: net and addresses under the net lock, then wipes, boots and the forwarder. */
async function apply(ctx: Ctx, state: ClusterState, nodes: ClusterNode[], verdicts: Map<string, Verdict>, base: BasePaths): Promise<void> {
  const scripts = writeScripts(ctx.lab);
  const of = (name: string) => state.hosts.find((h) => h.name === name);
  const todo = [...verdicts].filter(([, v]) => v.do !== 'keep');
  // a dead or wiped host's leftovers go before its namespace or files are touched
  await Promise.all(todo.filter(([, v]) => v.do === 'restart' || v.do === 'rebuild').map(([n]) => stopHost(of(n)!)));
  if (todo.some(([, v]) => v.do === 'create' || ('net' in v && v.net))) {
    await withNetLock(async () => {
      await ensureBridge();
      const creates = todo.filter(([, v]) => v.do === 'create').map(([n]) => n);
      if (creates.length) {
        const up = nodes.filter((n) => of(n.host_name) || creates.includes(n.host_name)).map((n) => n.host_name);
        const addresses = await claimAddresses(ctx.cluster.state, up, new Map(state.hosts.map((h) => [h.name, h.address])));
        const veths = new Set(state.hosts.map((h) => h.veth));
        for (const name of creates) {
          let i = 0;
          while (veths.has(`${vethPrefix(ctx.key)}${i}`)) i++;
          veths.add(`${vethPrefix(ctx.key)}${i}`);
          const node = nodes.find((n) => n.host_name === name)!;
          state.hosts.push({ name, address: addresses.get(name)!, netns: `${netnsPrefix(ctx.key)}${name}`, veth: `${vethPrefix(ctx.key)}${i}`, forwards: forwardsOf(node) });
        }
        const order = nodes.map((n) => n.host_name);
        state.hosts.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
      }
      // recorded before anything exists, so a crash from here on is cleaned by the next up or down
      writeState(ctx.cluster.state, state);
      await Promise.all(todo.map(async ([name, v]) => {
        const h = of(name)!;
        if (v.do === 'create') {
          await ensureHostKey(hostPaths(ctx.cluster, h.name), h.name);
          seedUpper(hostPaths(ctx.cluster, h.name), h.name, h.address);
          await removeHostNet(h.netns, h.veth);
          await createHostNet(h.netns, h.veth, h.address);
        } else if ('net' in v && v.net?.kind === 'netns') {
          await removeHostNet('', h.veth);
          await createHostNet(h.netns, h.veth, h.address);
        } else if ('net' in v && v.net) {
          await repairHostLink(h.netns, h.veth, h.address);
        }
      }));
    }, ctx.log);
  }
  // At most BOOTS_AT_ONCE hosts boot at a time: 200 systemd boots at once on 2 cores took
  // longer than a host's 30 s for sshd to answer; in turns, each boot gets the machine's time.
  // After a failure no further host starts; the error comes once the started ones settled.
  const boots = new Semaphore(BOOTS_AT_ONCE);
  let failure: { error: unknown } | undefined;
  await Promise.allSettled(todo.map(async ([name, v]) => {
    const release = await boots.acquire();
    try {
      const h = of(name)!;
      if (v.do === 'rebuild') seedUpper(hostPaths(ctx.cluster, h.name), h.name, h.address);
      if (v.do === 'relink') {
        if (await sshdAnswers(h.address)) return;
        v.why += `; then sshd did not answer: restarted on its own files`;
        await stopHost(h);
      }
      if (v.do !== 'keep') await boot(ctx, state, h, base, scripts.boot);
    } catch (e) {
      failure ??= { error: e };
      boots.fail(e);
    } finally {
      release();
    }
  }));
  if (failure) throw failure.error;
  await ensureForwarder(ctx, state, scripts.forwarder);
  writeState(ctx.cluster.state, state);
  grantAccess(ctx, state);
}

/** Hosts booting at the same time (each then has 30 s for its sshd to answer). */
const BOOTS_AT_ONCE = Math.max(8, cpus().length * 8);

/** Restarts the forwarder when its routes changed or it is not running; stops it when no host has a forward. */
async function ensureForwarder(ctx: Ctx, state: ClusterState, script: string): Promise<void> {
  const routes = routesOf(state);
  const key = JSON.stringify(routes);
  if (isAlive(state.forwarder) && state.forwarderRoutes === key) return;
  await stopProcs([state.forwarder], [state.forwarder]);
  state.forwarder = undefined;
  state.forwarderRoutes = undefined;
  if (!routes.length) return writeState(ctx.cluster.state, state);
  await startForwarder(script, routes, ctx.cluster.forwarderLog, (ref) => { state.forwarder = ref; writeState(ctx.cluster.state, state); });
  state.forwarderRoutes = key;
}

/**
 * Takes hosts out of the lab (processes, namespace, veth, address, files, key, known_hosts
 * lines); the rest keep running. The last one going takes the whole lab down.
 *
 * @example
 * await withLock(ctx.lab.lock, () => dropHosts(ctx, readState(ctx.cluster.state)!, ['web-02']))
 */
export async function dropHosts(ctx: Ctx, state: ClusterState, names: string[]): Promise<void> {
  const going = state.hosts.filter((h) => names.includes(h.name));
  if (going.length === state.hosts.length) return teardown(ctx, state, labKeyText(ctx.lab));
  await Promise.all(going.map((h) => stopHost(h)));
  state.hosts = state.hosts.filter((h) => !names.includes(h.name));
  await withNetLock(async () => {
    for (const h of going) await removeHostNet(h.netns, h.veth);
    await claimAddresses(ctx.cluster.state, state.hosts.map((h) => h.name), new Map(state.hosts.map((h) => [h.name, h.address])));
    writeState(ctx.cluster.state, state);
  }, ctx.log);
  const key = labKeyText(ctx.lab);
  for (const h of going) {
    removeTree(hostPaths(ctx.cluster, h.name).dir);
    const file = state.privateKeys.find((f) => f.endsWith(`/.vagrant/machines/${h.name}/virtualbox/private_key`));
    if (file) { removeOurKey(file, key); state.privateKeys = state.privateKeys.filter((f) => f !== file); }
  }
  await ensureForwarder(ctx, state, writeScripts(ctx.lab).forwarder);
  writeState(ctx.cluster.state, state);
  grantAccess(ctx, state);
}
