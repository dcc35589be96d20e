// Network facts from `ip -o addr`, `ip -o link` and `ip route`, or, on a host without `ip`,
// from /sys/class/net and /proc/net. Pure: lines in, facts out; a line that does not parse
// is skipped.
import type { DefaultRoute, IpAddress, NetworkFacts, NetworkInterface } from '../ops/fact-types.js';

type Lines = readonly string[];

function iface(map: Record<string, NetworkInterface>, name: string): NetworkInterface {
  return (map[name] ??= { mac: '', ipv4: [], ipv6: [] });
}

/** Interfaces of `ip -o addr show` and `ip -o link show`: addresses and MACs. */
export function parseIpInterfaces(addr: Lines, link: Lines): Record<string, NetworkInterface> {
  const map: Record<string, NetworkInterface> = Object.create(null);
  for (const l of link) {
    // 2: eth0@if5: <BROADCAST,...> mtu 1500 ... link/ether 02:77:00:00:00:0b brd ff:ff:ff:ff:ff:ff
    const m = /^\d+:\s+([^\s:@]+)(?:@[^\s:]*)?:\s.*?\slink\/(\S+)(?:\s+([0-9a-fA-F]{2}(?::[0-9a-fA-F]{2})+))?/.exec(l);
    if (!m) continue;
    iface(map, m[1]!).mac = m[2] === 'none' ? '' : (m[3] ?? '').toLowerCase();
  }
  for (const l of addr) {
    // 2: eth0    inet 10.77.0.11/24 brd 10.77.0.255 scope global eth0\       valid_lft forever ...
    const m = /^\d+:\s+([^\s@]+)(?:@\S*)?\s+(inet6?)\s+([0-9a-fA-F:.]+)(?:\/(\d+))?(.*)$/.exec(l);
    if (!m) continue;
    const v6 = m[2] === 'inet6';
    // a point-to-point address names its prefix on the peer: `inet 10.0.0.1 peer 10.0.0.2/32`
    const prefix = m[4] ?? / peer \S+\/(\d+)/.exec(m[5]!)?.[1] ?? (v6 ? '128' : '32');
    const a: IpAddress = { address: m[3]!.toLowerCase(), prefix: Number(prefix), scope: / scope (\S+)/.exec(m[5]!)?.[1] ?? 'global' };
    iface(map, m[1]!)[v6 ? 'ipv6' : 'ipv4'].push(a);
  }
  return map;
}

/** The first default route of `ip -4|-6 route show default`; null when there is none. */
export function parseIpDefaultRoute(lines: Lines, family: 'ipv4' | 'ipv6', interfaces: Record<string, NetworkInterface>): DefaultRoute | null {
  const start = lines.findIndex((l) => /^default(\s|$)/.test(l));
  if (start < 0) return null;
  // a multipath route lists its next hops on the indented lines that follow
  const words = [lines[start]!];
  for (let i = start + 1; i < lines.length && /^\s/.test(lines[i]!); i++) words.push(lines[i]!);
  const tokens = words.join(' ').split(/\s+/);
  const after = (k: string) => {
    const i = tokens.indexOf(k);
    if (i < 0) return '';
    const v = tokens[i + 1] ?? '';
    // `via inet6 fe80::1`: an IPv4 route through an IPv6 next hop
    return v === 'inet' || v === 'inet6' ? tokens[i + 2] ?? '' : v;
  };
  const dev = after('dev');
  if (!dev) return null;
  return { interface: dev, gateway: after('via'), address: after('src') || firstAddress(interfaces[dev], family) };
}

function firstAddress(i: NetworkInterface | undefined, family: 'ipv4' | 'ipv6'): string {
  const list = i?.[family] ?? [];
  return (list.find((a) => a.scope === 'global') ?? list[0])?.address ?? '';
}

/** An IPv4 address from /proc/net/route's little-endian hex (`010200C0` is 192.0.2.1). */
export function hexToIpv4(hex: string): string {
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) return '';
  return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
}

/**
 * An IPv6 address from /proc's 32 hex digits, written as RFC 5952 says (`fe80::1`).
 *
 * @example
 * hexToIpv6('fe800000000000000000000000000001')   // 'fe80::1'
 */
export function hexToIpv6(hex: string): string {
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return '';
  const groups = Array.from({ length: 8 }, (_, i) => parseInt(hex.slice(i * 4, i * 4 + 4), 16).toString(16));
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

const V6_SCOPES: Record<string, string> = { '00': 'global', '10': 'host', '20': 'link', '40': 'site' };

const ipv4ToInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const bits = (n: number) => n.toString(2).replace(/0/g, '').length;

interface ProcRoute { iface: string; dest: number; mask: number; gateway: string; flags: number; metric: number }

function parseProcRoute(lines: Lines): ProcRoute[] {
  const out: ProcRoute[] = [];
  for (const l of lines) {
    const f = l.trim().split(/\s+/);
    if (f.length < 8 || !/^[0-9a-fA-F]{8}$/.test(f[1]!)) continue;
    out.push({ iface: f[0]!, dest: ipv4ToInt(hexToIpv4(f[1]!)), mask: ipv4ToInt(hexToIpv4(f[7]!)), gateway: hexToIpv4(f[2]!), flags: parseInt(f[3]!, 16), metric: Number(f[6]) });
  }
  return out;
}

/** The parts /sys and /proc give when `ip` is missing (see lib/engine/facts-probe.ts). */
export interface ProcNetwork { sysNet: Lines; ifInet6: Lines; procRoute: Lines; ipv6Route: Lines; fibTrie: Lines }

/**
 * Network facts without `ip`: MACs from /sys/class/net, IPv6 from /proc/net/if_inet6, IPv4
 * addresses from the local entries of /proc/net/fib_trie, matched to the interface and prefix
 * of the route of their subnet in /proc/net/route (an address with no such route is left
 * out), default routes from /proc/net/route and /proc/net/ipv6_route.
 */
export function parseProcNetwork(p: ProcNetwork): NetworkFacts {
  const map: Record<string, NetworkInterface> = Object.create(null);
  for (const l of p.sysNet) {
    const [name, mac] = l.trim().split(/\s+/);
    if (name) iface(map, name).mac = /^[0-9a-fA-F:]+$/.test(mac ?? '') ? mac!.toLowerCase() : '';
  }
  for (const l of p.ifInet6) {
    const f = l.trim().split(/\s+/);
    const address = hexToIpv6(f[0] ?? '');
    if (!address || f.length < 6) continue;
    iface(map, f[5]!).ipv6.push({ address, prefix: parseInt(f[2]!, 16), scope: V6_SCOPES[f[3]!] ?? 'global' });
  }
  // if_inet6 is in hash order; list them as `ip` does, global addresses before link-local ones
  const rank = (scope: string) => ['global', 'site', 'link', 'host'].indexOf(scope) >>> 0;
  for (const i of Object.values(map)) i.ipv6.sort((x, y) => rank(x.scope) - rank(y.scope));
  const routes = parseProcRoute(p.procRoute);
  const local = new Set<string>();
  p.fibTrie.forEach((l, i) => {
    if (!/\/32 host LOCAL/.test(l)) return;
    const a = /[|+]-- (\d+\.\d+\.\d+\.\d+)/.exec(p.fibTrie[i - 1] ?? '')?.[1];
    if (a) local.add(a);
  });
  for (const a of local) {
    if (a.startsWith('127.')) {
      iface(map, 'lo').ipv4.push({ address: a, prefix: 8, scope: 'host' });
      continue;
    }
    const n = ipv4ToInt(a);
    const on = routes.filter((r) => r.gateway === '0.0.0.0' && r.mask !== 0 && ((n & r.mask) >>> 0) === r.dest)
      .sort((x, y) => bits(y.mask) - bits(x.mask))[0];
    if (on) iface(map, on.iface).ipv4.push({ address: a, prefix: bits(on.mask), scope: 'global' });
  }
  const d4 = routes.filter((r) => r.dest === 0 && r.mask === 0 && (r.flags & 1) === 1).sort((x, y) => x.metric - y.metric)[0];
  const defaultIpv4 = d4 ? { interface: d4.iface, gateway: d4.gateway === '0.0.0.0' ? '' : d4.gateway, address: firstAddress(map[d4.iface], 'ipv4') } : null;
  let defaultIpv6: DefaultRoute | null = null;
  for (const l of p.ipv6Route) {
    const f = l.trim().split(/\s+/);
    // dest, dest prefix, src, src prefix, next hop, metric, refcnt, use, flags, device
    if (f.length < 10 || !/^0{32}$/.test(f[0]!) || f[1] !== '00' || (parseInt(f[8]!, 16) & 0x200) !== 0) continue;
    const via = hexToIpv6(f[4]!);
    defaultIpv6 = { interface: f[9]!, gateway: via === '::' ? '' : via, address: firstAddress(map[f[9]!], 'ipv6') };
    break;
  }
  return { interfaces: map, defaultIpv4, defaultIpv6 };
}

/**
 * Network facts from the probe's sections: `ip` output when it was there, else /sys and /proc.
 *
 * @example
 * parseNetwork(new Map([['network/ip-addr', ['2: eth0    inet 10.77.0.11/24 scope global eth0']]])).interfaces.eth0.ipv4
 * // [{ address: '10.77.0.11', prefix: 24, scope: 'global' }]
 */
export function parseNetwork(sections: ReadonlyMap<string, string[]>): NetworkFacts {
  const s = (k: string) => sections.get(`network/${k}`) ?? [];
  if (!sections.has('network/ip-addr') && !sections.has('network/ip-link')) {
    return parseProcNetwork({ sysNet: s('sys-net'), ifInet6: s('if-inet6'), procRoute: s('proc-route'), ipv6Route: s('ipv6-route'), fibTrie: s('fib-trie') });
  }
  const interfaces = parseIpInterfaces(s('ip-addr'), s('ip-link'));
  return { interfaces, defaultIpv4: parseIpDefaultRoute(s('ip-route4'), 'ipv4', interfaces), defaultIpv6: parseIpDefaultRoute(s('ip-route6'), 'ipv6', interfaces) };
}
