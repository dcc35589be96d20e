import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statfsSync, symlinkSync, existsSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir, totalmem, userInfo } from 'node:os';
import { join } from 'node:path';
import { factsProbe, parseFacts, withFacts } from '../../lib/engine/facts.js';
import { splitProbe } from '../../lib/engine/facts-probe.js';
import { ShipshapeError } from '../../lib/errors.js';
import { FACT_GROUPS } from '../../lib/ops/fact-types.js';
import { LocalTransport } from '../../lib/transport/local.js';
import { fixture, plain, probeOutput } from './facts-fixtures.js';

const BASE = { hostname: 'web-01', os_id: 'debian', os_version: '12', os_codename: 'bookworm', arch: 'x86_64', init: 'systemd', pid1: 'systemd', cpus: '4', user: 'vagrant' };

/** A lab host's probe output, as the shell prints it, from the captured command outputs. */
const labOutput = () => probeOutput(BASE, {
  memory: { meminfo: fixture('lab-debian12', 'meminfo') },
  network: { 'ip-addr': fixture('lab-debian12', 'ip-addr'), 'ip-link': fixture('lab-debian12', 'ip-link'), 'ip-route4': fixture('lab-debian12', 'ip-route4'), 'ip-route6': [] },
  mounts: { df: fixture('lab-debian12', 'df'), 'proc-mounts': fixture('lab-debian12', 'mounts') },
  blockDevices: { partitions: fixture('lab-debian12', 'partitions') },
  packages: { dpkg: fixture('lab-debian12', 'dpkg') },
  users: { passwd: fixture('lab-debian12', 'passwd') },
  groups: { group: fixture('lab-debian12', 'group') },
  python: { python: ['path=/usr/bin/python3', 'real=/usr/bin/python3.11', 'dpkg=3.11.2-6+deb12u9'] },
});

test('a lab host\'s whole probe output: base facts and every group', () => {
  const f = parseFacts(labOutput(), { team: 'ops' }, 'web-01');
  assert.is(f.hostname, 'web-01');
  assert.is(f.init, 'systemd');
  assert.is(f.serviceManager, 'systemd');
  assert.is(f.cpus, 4);
  assert.equal(f.vars, { team: 'ops' });
  assert.is(f.memory.totalMb, 24105);
  assert.equal(f.network.defaultIpv4, { interface: 'eth0', gateway: '10.77.0.1', address: '10.77.0.15' });
  assert.is(f.mounts[0]!.mountpoint, '/');
  assert.is(f.blockDevices[0]!.name, 'vda');
  assert.is(f.packages['openssh-server'], '1:9.2p1-2+deb12u10');
  assert.is(f.users.root!.uid, 0);
  assert.is(f.groups.vagrant!.gid, 1000);
  assert.equal(f.python, { path: '/usr/bin/python3', version: '3.11.2' });
  assert.equal(Object.keys(JSON.parse(JSON.stringify(f))).sort(), ['arch', 'cpus', 'hostname', 'init', 'os', 'serviceManager', 'user', 'vars', ...FACT_GROUPS].sort());
});

test('a group that was not gathered throws when read, naming the host and the group, and is not in the JSON', () => {
  const f = parseFacts(probeOutput(BASE, { memory: { meminfo: ['MemTotal: 2048 kB'] } }), {}, 'web-01');
  assert.is(f.memory.totalMb, 2);
  for (const g of FACT_GROUPS.filter((x) => x !== 'memory')) {
    try {
      void f[g];
      assert.unreachable(`${g} did not throw`);
    } catch (e) {
      assert.instance(e, ShipshapeError);
      assert.is((e as ShipshapeError).message, `facts.${g} was not gathered on web-01`);
      assert.is((e as ShipshapeError).host, 'web-01');
      assert.match((e as ShipshapeError).fix ?? '', 'when');
    }
  }
  assert.equal(Object.keys(JSON.parse(JSON.stringify(f))).includes('packages'), false);
  assert.is(JSON.parse(JSON.stringify(f)).memory.totalMb, 2);
});

test('the base facts alone (what a plan without when gathers) have no extended group', () => {
  const f = parseFacts('hostname=web-01\ninit=sysvinit\ncpus=2\nhas=/etc/init.d\n', {});
  assert.is(f.serviceManager, 'sysvinit');
  assert.throws(() => f.memory.totalMb, /facts.memory was not gathered on the host/);
});

test('withFacts builds facts from base facts and the groups given', () => {
  const f = withFacts({ hostname: 'h', os: { id: 'debian', versionId: '12', codename: 'bookworm' }, arch: 'x86_64', init: 'systemd', serviceManager: 'systemd', cpus: 1, user: 'root', vars: {} }, { packages: { nginx: '1.22' } }, 'h');
  assert.is(f.packages.nginx, '1.22');
  assert.throws(() => f.users, /facts.users was not gathered on h/);
});

test('a group asked for whose commands printed nothing (no ip, no df, no dpkg, no getent, no python3) is empty, not a crash', () => {
  const out = probeOutput(BASE, {}) + FACT_GROUPS.map((g) => `@@${g}`).join('\n') + '\n';
  const f = plain(parseFacts(out, {}));
  assert.equal(f.memory, { totalMb: 0, availableMb: 0, swapTotalMb: 0, swapFreeMb: 0 });
  assert.equal(f.network, { interfaces: {}, defaultIpv4: null, defaultIpv6: null });
  assert.equal([f.mounts, f.blockDevices, f.packages, f.users, f.groups], [[], [], {}, {}, {}]);
  assert.equal(f.python, { path: '', version: '' });
});

test('what a probe prints cannot pose as a marker or as a base fact: = in values, @@ and key=value inside sections', () => {
  const out = [
    'hostname=web=01', 'user=vagrant', '@@users', '@@users/passwd',
    '|user=root', '|@@packages', '|@@packages/dpkg', '|install ok installed\tevil\t1', '|root:x:0:0:root:/root:/bin/bash',
    'no equals sign here', '=leading equals',
  ].join('\n');
  const s = splitProbe(out);
  assert.equal([...s.groups], ['users']);
  assert.equal([...s.sections.keys()], ['users/passwd']);
  const f = parseFacts(out, {});
  assert.is(f.hostname, 'web=01');
  assert.is(f.user, 'vagrant');
  assert.equal(Object.keys(f.users), ['root']);
  assert.throws(() => f.packages, /not gathered/);
});

test('an output cut off in the middle of a section still parses', () => {
  const full = labOutput();
  for (const cut of [full.length / 3, full.length / 2, full.length - 10].map(Math.floor)) {
    const f = parseFacts(full.slice(0, cut), {});
    assert.is(f.hostname, 'web-01');
  }
});

test('the probe run on this machine agrees with what Node reads from the kernel: memory, addresses, MACs, users, /', async () => {
  const t = new LocalTransport('localhost');
  const r = await t.exec(factsProbe(FACT_GROUPS));
  assert.is(r.code, 0, r.stderr);
  const f = parseFacts(r.stdout, {});
  assert.is(f.memory.totalMb, Math.floor(totalmem() / 1024 / 1024));
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    const mine = f.network.interfaces[name];
    assert.ok(mine, `interface ${name} is listed`);
    const want = addrs!.map((a) => `${a.family === 'IPv4' ? 'v4' : 'v6'} ${a.cidr}`).sort();
    const got = [...mine.ipv4.map((a) => `v4 ${a.address}/${a.prefix}`), ...mine.ipv6.map((a) => `v6 ${a.address}/${a.prefix}`)].sort();
    assert.equal(got, want, name);
    assert.is(mine.mac, addrs![0]!.mac, `${name}'s MAC`);
  }
  const me = userInfo();
  assert.equal([f.users[me.username]?.uid, f.users[me.username]?.home], [me.uid, me.homedir]);
  const root = f.mounts.find((m) => m.mountpoint === '/');
  const st = statfsSync('/');
  assert.is(root?.sizeMb, Math.floor((st.blocks * st.bsize) / 1024 / 1024), JSON.stringify(root));
  assert.ok(r.stdout.length < 256 * 1024, `${r.stdout.length} bytes`);
});

test('the base facts agree with the commands they no longer run: hostname, /etc/os-release as sourced, PID 1', async () => {
  const t = new LocalTransport('localhost');
  const f = parseFacts((await t.exec(factsProbe())).stdout, {});
  const sh = (c: string) => spawnSync('/bin/sh', ['-c', c], { encoding: 'utf8' }).stdout.trim();
  assert.is(f.hostname, sh('hostname'));
  assert.equal([f.os.id, f.os.versionId, f.os.codename], sh('. /etc/os-release; echo "$ID|$VERSION_ID|$VERSION_CODENAME"').split('|'));
  const dir = mkdtempSync(join(tmpdir(), 'ss-os-release-'));
  try {
    // quoted both ways, and a last line without its newline
    const file = join(dir, 'os-release');
    writeFileSync(file, "NAME=\"Some Linux\"\nID='some'\nVERSION_CODENAME=odd\nVERSION_ID=\"4.2\"");
    const g = parseFacts((await t.exec(factsProbe().replace('< /etc/os-release', `< ${file}`))).stdout, {});
    assert.equal([g.os.id, g.os.versionId, g.os.codename], ['some', '4.2', 'odd']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('on a host without ip, getent, dpkg-query or rpm the probe falls back to /sys, /proc and /etc: same network, same users', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'shipshape-facts-bin-'));
  try {
    const hidden = new Set(['ip', 'getent', 'dpkg-query', 'dpkg', 'rpm']);
    for (const dir of ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir)) {
        if (!hidden.has(name) && !existsSync(join(bin, name))) symlinkSync(join(dir, name), join(bin, name));
      }
    }
    const script = factsProbe(FACT_GROUPS);
    const bare = spawnSync('/bin/sh', ['-c', script], { env: { PATH: bin }, encoding: 'utf8' });
    const full = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
    assert.not.match(bare.stdout, '@@network/ip-addr', 'ip was hidden');
    const a = plain(parseFacts(bare.stdout, {}));
    const b = plain(parseFacts(full.stdout, {}));
    assert.equal(a.network, b.network);
    assert.equal(a.users, b.users);
    assert.equal(a.packages, {});
    assert.equal(a.memory.totalMb, b.memory.totalMb);
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

test.run();
