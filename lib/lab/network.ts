/**
 * The lab's network: one bridge (ss-br0, 10.77.0.1/24) in the controller's namespace and,
 * per host, a network namespace joined to it by a veth. No default route and no NAT: a host
 * reaches the controller's bridge address and the other hosts, nothing else.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { ShipshapeError } from '../errors.js';
import { BRIDGE, BRIDGE_ADDRESS, SUBNET } from './paths.js';
import { run } from './run.js';

function disableIpv6(ifname: string): void {
  const f = `/proc/sys/net/ipv6/conf/${ifname}/disable_ipv6`;
  if (existsSync(f)) writeFileSync(f, '1');
}

async function linkExists(name: string): Promise<boolean> {
  return (await run('ip', ['link', 'show', 'dev', name], { allowFail: true })).code === 0;
}

/**
 * Creates the bridge with 10.77.0.1/24 unless it is there; refuses when another interface
 * routes 10.77.0.0/24, rather than hijack someone's network.
 *
 * @example
 * await withNetLock(() => ensureBridge())
 */
export async function ensureBridge(): Promise<void> {
  const routes = await run('ip', ['-o', 'route', 'show', `${SUBNET}.0/24`]);
  const other = routes.stdout.split('\n').find((l) => l.trim() && !l.includes(`dev ${BRIDGE} `));
  if (other) {
    throw new ShipshapeError(`${SUBNET}.0/24 is already routed on this machine (${other.trim()}); the lab needs it for its hosts`, {
      fix: 'remove that route or interface, or run the lab on another machine',
    });
  }
  if (!(await linkExists(BRIDGE))) {
    await run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
    disableIpv6(BRIDGE);
  }
  const addrs = await run('ip', ['-o', '-4', 'addr', 'show', 'dev', BRIDGE]);
  if (!addrs.stdout.includes(`${BRIDGE_ADDRESS}/24`)) await run('ip', ['addr', 'add', `${BRIDGE_ADDRESS}/24`, 'dev', BRIDGE]);
  await run('ip', ['link', 'set', BRIDGE, 'up']);
}

/**
 * Deletes the bridge once no veth is attached to it (any lab on this machine may be using it).
 *
 * @example
 * await withNetLock(() => removeBridgeIfUnused())
 */
export async function removeBridgeIfUnused(): Promise<void> {
  if (!(await linkExists(BRIDGE))) return;
  const members = await run('ip', ['-o', 'link', 'show', 'master', BRIDGE], { allowFail: true });
  if (members.code === 0 && members.stdout.trim() === '') await run('ip', ['link', 'del', BRIDGE], { allowFail: true });
}

/**
 * A locally administered MAC for a lab address, so ARP caches stay right when an address
 * passes to a new host.
 *
 * @example
 * macFor('10.77.0.11')   // '02:77:00:00:00:0b'
 */
export function macFor(address: string): string {
  const last = Number(address.split('.').pop());
  return `02:77:00:00:00:${last.toString(16).padStart(2, '0')}`;
}

/**
 * Creates a host's network namespace with `eth0` at `address`/24, its peer `veth` on the bridge.
 *
 * @example
 * await createHostNet('ss-1a2b3c-web-01', 'ss1a2b3c-0', '10.77.0.11')
 */
export async function createHostNet(netns: string, veth: string, address: string): Promise<void> {
  await run('ip', ['netns', 'add', netns]);
  await run('ip', ['netns', 'exec', netns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  await addVeth(netns, veth, address);
}

async function addVeth(netns: string, veth: string, address: string): Promise<void> {
  // the MAC follows from the address: when an address passes to a new host (reset, another
  // cluster), ARP caches that still hold it stay right instead of sending to a dead MAC for ~30 s
  await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'address', macFor(address), 'netns', netns]);
  await run('ip', ['neigh', 'del', address, 'dev', BRIDGE], { allowFail: true });
  disableIpv6(veth);
  await run('ip', ['link', 'set', veth, 'master', BRIDGE, 'up']);
  await run('ip', ['-n', netns, '-batch', '-'], {
    input: `link set lo up\naddr add ${address}/24 dev eth0\nlink set eth0 up\n`,
  });
}

/** What is wrong with a host's network, as `lab up` finds it. */
export interface NetProblem {
  /** `netns`: the namespace is gone (its processes must restart); `link`: the veth or eth0 can be mended in place. */
  kind: 'netns' | 'link';
  why: string;
}

function linkFlags(text: string): { up: boolean; master?: string } | undefined {
  const m = /<([^>]*)>/.exec(text);
  if (!m) return undefined;
  return { up: m[1]!.split(',').includes('UP'), master: / master (\S+)/.exec(text)?.[1] };
}

/**
 * Checks a host's network from the controller: namespace, veth (there, up, on the bridge),
 * and eth0 inside (up, with its address). Undefined when all is well.
 *
 * @example
 * await hostNetProblem('ss-1a2b3c4d5e6f-web-01', 's1a2b3c4d5e-0', '10.77.0.11')   // { kind: 'link', why: 'its veth s1a2b3c4d5e-0 is down' }
 */
export async function hostNetProblem(netns: string, veth: string, address: string): Promise<NetProblem | undefined> {
  if (!existsSync(`/run/netns/${netns}`)) return { kind: 'netns', why: `its network namespace ${netns} is missing` };
  const outer = await run('ip', ['-o', 'link', 'show', 'dev', veth], { allowFail: true });
  const o = outer.code === 0 ? linkFlags(outer.stdout) : undefined;
  if (!o) return { kind: 'link', why: `its veth ${veth} is missing` };
  if (!o.up) return { kind: 'link', why: `its veth ${veth} is down` };
  if (o.master !== BRIDGE) return { kind: 'link', why: `its veth ${veth} is not on the bridge ${BRIDGE}` };
  const inner = await run('ip', ['-n', netns, '-o', 'link', 'show', 'dev', 'eth0'], { allowFail: true });
  const i = inner.code === 0 ? linkFlags(inner.stdout) : undefined;
  if (!i?.up) return { kind: 'link', why: 'its eth0 is down' };
  const addrs = await run('ip', ['-n', netns, '-4', '-o', 'addr', 'show', 'dev', 'eth0'], { allowFail: true });
  if (!addrs.stdout.includes(` ${address}/24 `)) return { kind: 'link', why: `its eth0 lacks ${address}/24` };
  return undefined;
}

/**
 * Mends a host's link in place, keeping its namespace and processes: recreates a missing veth
 * pair, else brings both ends up, back on the bridge, with the address. Call with the net lock.
 *
 * @example
 * await repairHostLink('ss-1a2b3c4d5e6f-web-01', 's1a2b3c4d5e-0', '10.77.0.11')
 */
export async function repairHostLink(netns: string, veth: string, address: string): Promise<void> {
  if (!(await linkExists(veth))) {
    // a veth pair goes as a whole: with the outer end gone, eth0 inside is gone too
    await run('ip', ['-n', netns, 'link', 'del', 'eth0'], { allowFail: true });
    return addVeth(netns, veth, address);
  }
  await run('ip', ['link', 'set', veth, 'master', BRIDGE, 'up']);
  const addrs = await run('ip', ['-n', netns, '-4', '-o', 'addr', 'show', 'dev', 'eth0'], { allowFail: true });
  const add = addrs.stdout.includes(` ${address}/24 `) ? '' : `addr add ${address}/24 dev eth0\n`;
  await run('ip', ['-n', netns, '-batch', '-'], { input: `link set lo up\n${add}link set eth0 up\n` });
}

/**
 * Removes a host's veth and namespace; missing ones are fine. The veth goes explicitly: a
 * namespace can outlive `ip netns del` while orphaned sockets in it time out, and its veth
 * would block re-creating the host.
 *
 * @example
 * await removeHostNet('ss-1a2b3c4d5e6f-web-01', 's1a2b3c4d5e-0')
 */
export async function removeHostNet(netns: string, veth: string): Promise<void> {
  if (veth) await run('ip', ['link', 'del', veth], { allowFail: true });
  if (netns) await run('ip', ['netns', 'del', netns], { allowFail: true });
}

/**
 * Namespaces and links whose names start with the given prefixes (left by a crash that lost
 * its state).
 *
 * @example
 * await findLeftovers(netnsPrefix(key), vethPrefix(key))   // { netns: ['ss-1a2b3c4d5e6f-web-01'], veths: [] }
 */
export async function findLeftovers(netnsPrefix: string, vethPrefix: string): Promise<{ netns: string[]; veths: string[] }> {
  const ns = await run('ip', ['netns', 'list'], { allowFail: true });
  const links = await run('ip', ['-o', 'link', 'show'], { allowFail: true });
  return {
    netns: ns.stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(netnsPrefix)),
    veths: links.stdout.split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '').filter((n) => n.startsWith(vethPrefix)),
  };
}

/**
 * Picks an address per host: node i prefers 10.77.0.(11+i) and takes the next free one when
 * another cluster holds it (`taken`), so the same cluster.json gets the same addresses. Hosts
 * in `fixed` (already up) keep theirs.
 *
 * @example
 * allocateAddresses(['web-01', 'web-02'], new Set(['10.77.0.11']))   // web-01 → .12, web-02 → .13
 */
export function allocateAddresses(names: string[], taken: Set<string>, fixed: ReadonlyMap<string, string> = new Map()): Map<string, string> {
  const used = new Set([...taken, ...fixed.values()]);
  const out = new Map<string, string>();
  // .11-.254 first, then .2-.10 (.1 is the bridge)
  const order = [...Array.from({ length: 244 }, (_, i) => 11 + i), ...Array.from({ length: 9 }, (_, i) => 2 + i)];
  names.forEach((name, i) => {
    const kept = fixed.get(name);
    if (kept) { out.set(name, kept); return; }
    const start = Math.min(i, order.length - 1);
    for (let k = 0; k < order.length; k++) {
      const a = `${SUBNET}.${order[(start + k) % order.length]}`;
      if (!used.has(a)) { out.set(name, a); used.add(a); return; }
    }
    throw new ShipshapeError(`no free address left in ${SUBNET}.0/24 for host ${name}`, { fix: 'bring other lab clusters down (shipshape lab down CLUSTER.json)' });
  });
  return out;
}
