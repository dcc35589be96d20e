// Real lab, three hosts plus a second cluster up at the same time. Needs root.
// Ports 22111-22113, 18081-18083 and 22121.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { labDown, labReset, labUp, type LabHost } from '../../lib/lab/index.js';
import { run } from '../../lib/lab/run.js';
import type { ClusterState } from '../../lib/lab/state.js';
import { labLeftovers, labState, ssh } from '../support/lab.js';

const dir = mkdtempSync(join(tmpdir(), 'ss-lab-three-'));
const three = join(dir, 'three', 'cluster.json');
const single = join(dir, 'single', 'cluster.json');
mkdirSync(join(dir, 'three'));
mkdirSync(join(dir, 'single'));
writeFileSync(three, JSON.stringify({ nodes: [1, 2, 3].map((i) => ({
  host_name: `web-0${i}`,
  port_mappings: [
    { guest_port: 80, host_port: 18080 + i, host_ip: '127.0.0.1' },
    { guest_port: 22, host_port: 22110 + i, host_ip: '127.0.0.1' },
  ],
  network_configs: [{ ip: '192.167.32.3', name: 'vboxnet0', adapter: 2 }],
})) }));
writeFileSync(single, JSON.stringify({ nodes: [{ host_name: 'db-01', port_mappings: [{ guest_port: 22, host_port: 22121, host_ip: '127.0.0.1' }] }] }));

let hosts: LabHost[] = [];
let db: LabHost;

const cleanup = async () => {
  await labDown(three);
  await labDown(single);
  rmSync(dir, { recursive: true, force: true });
};
process.once('beforeExit', () => { cleanup().catch(() => undefined); });
test.after(cleanup);

test('brings up three hosts and another cluster at the same time without address clashes', async () => {
  const [a, b] = await Promise.all([labUp(three), labUp(single)]);
  hosts = a;
  db = b[0]!;
  assert.equal(hosts.map((h) => h.name), ['web-01', 'web-02', 'web-03']);
  const addresses = [...hosts, db].map((h) => h.address);
  assert.is(new Set(addresses).size, 4, addresses.join(' '));
  assert.ok([...hosts, db].every((h) => h.running));
});

test('each host answers ssh with its own host name on its address and on its forwarded port', async () => {
  for (const h of [...hosts, db]) {
    assert.is((await ssh(h, 'hostname')).stdout.trim(), h.name);
    assert.is((await ssh(h, 'hostname', { via: 'forward' })).stdout.trim(), h.name);
  }
});

test('hosts reach each other on the bridge', async () => {
  const [a, b] = hosts;
  const r = await ssh(a!, `python3 -c "import socket; s = socket.create_connection(('${b!.address}', 22), 3); print(s.recv(8).decode())"`);
  assert.is(r.stdout.trim(), 'SSH-2.0-');
});

test('reset of one host leaves the others running', async () => {
  const before = labState(three)!;
  await ssh(hosts[1]!, 'touch /tmp/marker');
  await ssh(hosts[2]!, 'touch /tmp/marker');
  await labReset(three, { hosts: ['web-02'] });
  const after = labState(three)!;
  assert.equal(after.hosts[0]!.init, before.hosts[0]!.init);
  assert.is.not(after.hosts[1]!.init!.pid, before.hosts[1]!.init!.pid);
  assert.equal(after.hosts[2]!.init, before.hosts[2]!.init);
  assert.is((await ssh(hosts[1]!, 'ls /tmp/marker 2>/dev/null; echo ok')).stdout.trim(), 'ok');
  assert.is((await ssh(hosts[2]!, 'ls /tmp/marker')).stdout.trim(), '/tmp/marker');
});

test('down of one cluster keeps the bridge for the other; down of both removes everything of both', async () => {
  const states: ClusterState[] = [labState(three)!, labState(single)!];
  await labDown(three);
  assert.equal(await labLeftovers(states[0]!), []);
  assert.is((await ssh(db, 'hostname')).stdout.trim(), 'db-01');
  await labDown(single);
  assert.equal(await labLeftovers(states[1]!), []);
  // the bridge goes with the last host on it; another lab on this machine may still hold it
  const bridge = await run('ip', ['link', 'show', 'ss-br0'], { allowFail: true });
  const members = await run('ip', ['-o', 'link', 'show', 'master', 'ss-br0'], { allowFail: true });
  assert.ok(bridge.code !== 0 || members.stdout.trim() !== '', 'an unused bridge was left behind');
});

test.run();
