import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hexToIpv4, hexToIpv6, parseIpDefaultRoute, parseIpInterfaces, parseNetwork, parseProcNetwork } from '../../lib/engine/facts-network.js';
import { fixture, plain } from './facts-fixtures.js';

const ipSections = (host: 'lab-debian12' | 'controller') => new Map([
  ['network/ip-addr', fixture(host, 'ip-addr')], ['network/ip-link', fixture(host, 'ip-link')],
  ['network/ip-route4', fixture(host, 'ip-route4')], ['network/ip-route6', fixture(host, 'ip-route6')],
]);
const procParts = (host: 'lab-debian12' | 'controller') => ({
  sysNet: fixture(host, 'sys-net'), ifInet6: fixture(host, 'if-inet6'), procRoute: fixture(host, 'proc-route'),
  ipv6Route: fixture(host, 'ipv6-route'), fibTrie: fixture(host, 'fib-trie'),
});

test('a lab host: eth0 has its lab address and MAC, lo its loopback, the default route goes via the bridge', () => {
  const n = plain(parseNetwork(ipSections('lab-debian12')));
  assert.equal(n.interfaces.eth0, { mac: '02:77:00:00:00:0f', ipv4: [{ address: '10.77.0.15', prefix: 24, scope: 'global' }], ipv6: [] });
  assert.equal(n.interfaces.lo, { mac: '00:00:00:00:00:00', ipv4: [{ address: '127.0.0.1', prefix: 8, scope: 'host' }], ipv6: [] });
  assert.equal(Object.keys(n.interfaces).sort(), ['eth0', 'lo'], 'the @if10 peer suffix is not part of the name');
  assert.equal(n.defaultIpv4, { interface: 'eth0', gateway: '10.77.0.1', address: '10.77.0.15' });
  assert.is(n.defaultIpv6, null, 'the lab disables IPv6: no default route');
});

test('a dual-stack host: IPv6 addresses with prefix and scope, both default routes, interfaces with no address', () => {
  const n = plain(parseNetwork(ipSections('controller')));
  assert.equal(n.interfaces.eth0!.ipv6, [
    { address: 'fd00::2', prefix: 64, scope: 'global' }, { address: 'fe80::fc:ff:fe00:1', prefix: 64, scope: 'link' },
  ]);
  assert.equal(n.interfaces.lo!.ipv6, [{ address: '::1', prefix: 128, scope: 'host' }]);
  assert.equal(n.interfaces.ifb0, { mac: '02:42:3d:00:b7:74', ipv4: [], ipv6: [] });
  assert.equal(n.interfaces['s8be4fd782b-0'], { mac: '7a:37:80:8c:f5:70', ipv4: [], ipv6: [] });
  assert.equal(n.defaultIpv4, { interface: 'eth0', gateway: '192.0.2.1', address: '192.0.2.2' });
  assert.equal(n.defaultIpv6, { interface: 'eth0', gateway: 'fd00::1', address: 'fd00::2' });
});

test('without ip, /sys and /proc give the same facts as ip does (lab host and controller)', () => {
  for (const host of ['lab-debian12', 'controller'] as const) {
    assert.equal(plain(parseProcNetwork(procParts(host))), plain(parseNetwork(ipSections(host))), host);
  }
});

test('parseNetwork falls back to /proc when the ip sections are missing', () => {
  const p = procParts('lab-debian12');
  const sections = new Map([['network/sys-net', p.sysNet], ['network/proc-route', p.procRoute], ['network/fib-trie', p.fibTrie]]);
  assert.equal(plain(parseNetwork(sections)).defaultIpv4, { interface: 'eth0', gateway: '10.77.0.1', address: '10.77.0.15' });
});

const routeCases: { name: string; lines: string[]; family: 'ipv4' | 'ipv6'; want: ReturnType<typeof parseIpDefaultRoute> }[] = [
  { name: 'no default route', lines: [], family: 'ipv4', want: null },
  { name: 'a route onto the link, no gateway', lines: ['default dev wg0 scope link'], family: 'ipv4', want: { interface: 'wg0', gateway: '', address: '10.9.0.2' } },
  { name: 'the route names its source address', lines: ['default via 10.0.0.1 dev eth0 proto dhcp src 10.0.0.7 metric 100'], family: 'ipv4', want: { interface: 'eth0', gateway: '10.0.0.1', address: '10.0.0.7' } },
  { name: 'the first of two (lower metric first)', lines: ['default via 10.0.0.1 dev eth0 metric 100', 'default via 10.1.0.1 dev wg0 metric 600'], family: 'ipv4', want: { interface: 'eth0', gateway: '10.0.0.1', address: '10.0.0.5' } },
  { name: 'multipath: the first next hop', lines: ['default proto static metric 1024', '\tnexthop via 10.0.0.1 dev eth0 weight 1', '\tnexthop via 10.0.0.2 dev eth0 weight 1'], family: 'ipv4', want: { interface: 'eth0', gateway: '10.0.0.1', address: '10.0.0.5' } },
  { name: 'an IPv4 route via an IPv6 next hop', lines: ['default via inet6 fe80::1 dev eth0 proto bird'], family: 'ipv4', want: { interface: 'eth0', gateway: 'fe80::1', address: '10.0.0.5' } },
  { name: 'IPv6: the global address, not the link-local one', lines: ['default via fe80::1 dev eth0 proto ra metric 1024 expires 1799sec pref medium'], family: 'ipv6', want: { interface: 'eth0', gateway: 'fe80::1', address: '2001:db8::5' } },
  { name: 'an interface with no address', lines: ['default via 10.0.0.1 dev ppp0'], family: 'ipv4', want: { interface: 'ppp0', gateway: '10.0.0.1', address: '' } },
  { name: 'garbage', lines: ['default', 'Error: ipv4: FIB table does not exist.'], family: 'ipv4', want: null },
];
const ifaces = parseIpInterfaces([
  '2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0',
  '2: eth0    inet6 fe80::5/64 scope link',
  '2: eth0    inet6 2001:db8::5/64 scope global dynamic mngtmpaddr',
  '5: wg0    inet 10.9.0.2/32 scope global wg0',
], []);
for (const c of routeCases) {
  test(`default route, ${c.name}`, () => assert.equal(parseIpDefaultRoute(c.lines, c.family, ifaces), c.want));
}

test('ip -o addr and link: IPv6-only, point-to-point, a secondary label, a tunnel with no MAC, lines that do not parse', () => {
  const n = plain(parseIpInterfaces([
    '3: eth1    inet6 2001:db8::9/64 scope global',
    '7: tun0    inet 10.8.0.1 peer 10.8.0.2/32 scope global tun0',
    '2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0',
    '2: eth0    inet 10.0.0.6/24 scope global secondary eth0:1',
    'RTNETLINK answers: Operation not permitted',
    '',
  ], [
    '7: tun0: <POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UNKNOWN mode DEFAULT group default qlen 500\\    link/none ',
    '3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group default qlen 1000\\    link/ether 52:54:00:AB:CD:EF brd ff:ff:ff:ff:ff:ff',
    'garbage line',
  ]));
  assert.equal(n.eth1, { mac: '52:54:00:ab:cd:ef', ipv4: [], ipv6: [{ address: '2001:db8::9', prefix: 64, scope: 'global' }] });
  assert.equal(n.tun0, { mac: '', ipv4: [{ address: '10.8.0.1', prefix: 32, scope: 'global' }], ipv6: [] });
  assert.equal(n.eth0!.ipv4.map((a) => a.address), ['10.0.0.5', '10.0.0.6']);
  assert.equal(Object.keys(n).sort(), ['eth0', 'eth1', 'tun0']);
});

test('interface records have no prototype: an interface named like an Object method is only itself', () => {
  const n = parseIpInterfaces(['9: constructor    inet 10.0.0.9/24 scope global constructor'], []);
  assert.is(Object.getPrototypeOf(n), null);
  assert.is('toString' in n, false);
  const name: string = 'constructor';
  assert.equal(n[name]!.ipv4[0]!.address, '10.0.0.9');
});

const v6: [string, string][] = [
  ['00000000000000000000000000000001', '::1'],
  ['00000000000000000000000000000000', '::'],
  ['fe8000000000000000fc00fffe000001', 'fe80::fc:ff:fe00:1'],
  ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
  ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
  ['20010db8000100020003000400050006', '2001:db8:1:2:3:4:5:6'],
  ['not hex', ''],
];
for (const [hex, want] of v6) test(`hexToIpv6 ${hex} is ${JSON.stringify(want)} (RFC 5952)`, () => assert.is(hexToIpv6(hex), want));

test('hexToIpv4 reads /proc/net/route little-endian', () => {
  assert.is(hexToIpv4('01004D0A'), '10.77.0.1');
  assert.is(hexToIpv4('00000000'), '0.0.0.0');
  assert.is(hexToIpv4('xyz'), '');
});

test('/proc fallback: an address with no route of its subnet is left out; a rejected IPv6 default is not a default', () => {
  const n = plain(parseProcNetwork({
    sysNet: ['eth0 52:54:00:00:00:01', 'lo 00:00:00:00:00:00'],
    ifInet6: [],
    procRoute: ['Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT', 'eth0\t0000000A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0'],
    ipv6Route: ['00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo'],
    fibTrie: ['  |-- 10.0.3.4', '     /32 host LOCAL', '--', '  |-- 172.16.0.1', '     /32 host LOCAL'],
  }));
  assert.equal(n.interfaces.eth0!.ipv4, [{ address: '10.0.3.4', prefix: 16, scope: 'global' }]);
  assert.equal(n.defaultIpv4, null);
  assert.equal(n.defaultIpv6, null);
});

test('/proc fallback: IPv6 addresses are listed global first, as ip lists them, whatever the order of if_inet6', () => {
  const n = plain(parseProcNetwork({
    sysNet: ['eth0 02:fc:00:00:00:01'],
    // a link-local address before the global one, as /proc/net/if_inet6 may hash them
    ifInet6: ['fe8000000000000000fc00fffe000001 02 40 20 80     eth0', 'fd000000000000000000000000000002 02 40 00 80     eth0'],
    procRoute: [], ipv6Route: [], fibTrie: [],
  }));
  assert.equal(n.interfaces.eth0!.ipv6, [
    { address: 'fd00::2', prefix: 64, scope: 'global' },
    { address: 'fe80::fc:ff:fe00:1', prefix: 64, scope: 'link' },
  ]);
});

test.run();
