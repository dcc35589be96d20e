// Real lab, one host: namespaces, sshd, forwards, local apt repo, no-op up, reset, crash recovery, down.
// Needs root and the lab's tools (see lib/lab/preflight.ts). Ports 22103, 18080, 22199.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ShipshapeError } from '../../lib/errors.js';
import { labDown, labReset, labStatus, labUp, type LabHost } from '../../lib/lab/index.js';
import { knownHostsTagged } from '../../lib/lab/known-hosts.js';
import { isAlive } from '../../lib/lab/proc.js';
import { labLeftovers, labState, ssh } from '../support/lab.js';
import { waitFor } from '../support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'ss-lab-one-'));
const file = join(dir, 'cluster.json');
writeFileSync(file, JSON.stringify({ nodes: [{
  host_name: 'lab-one',
  port_mappings: [
    { guest_port: 80, host_port: 18080, host_ip: '127.0.0.1' },
    { guest_port: 22, host_port: 22103, host_ip: '127.0.0.1' },
  ],
  network_configs: [{ ip: '192.167.32.3', name: 'vboxnet0', adapter: 2 }],
}] }, null, 2));
let host: LabHost;

async function up(): Promise<LabHost> {
  const hosts = await labUp(file);
  host = hosts[0]!;
  return host;
}

/** GET over plain node:http (a fetch whose connection is dropped can leave nothing to keep the test alive). */
function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString('utf8'); });
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
  });
}

async function fetchText(url: string, timeoutMs: number): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await get(url);
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

// a test that never settles empties the event loop: tear down before the process exits
process.once('beforeExit', () => { labDown(file).catch(() => undefined); });

test.after(async () => {
  await labDown(file);
  rmSync(dir, { recursive: true, force: true });
});

test('brings up a host that answers ssh on its own address with strict host key checking', async () => {
  await up();
  assert.ok(host.running);
  assert.match(host.address, /^10\.77\.0\.\d+$/);
  assert.is(host.privateKey, join(dir, '.vagrant/machines/lab-one/virtualbox/private_key'));
  assert.is(readFileSync(host.privateKey).length > 0, true);
  const r = await ssh(host, 'hostname');
  assert.is(r.stderr, '');
  assert.is(r.stdout.trim(), 'lab-one');
});

test('answers ssh on the forwarded port as vagrant and as root, with passwordless sudo', async () => {
  assert.is((await ssh(host, 'hostname', { via: 'forward' })).stdout.trim(), 'lab-one');
  assert.is((await ssh(host, 'sudo -n id -u', { via: 'forward' })).stdout.trim(), '0');
  assert.is((await ssh(host, 'id -un', { user: 'root' })).stdout.trim(), 'root');
});

test('has no default route, so nothing outside the lab is reachable', async () => {
  const r = await ssh(host, 'ip route');
  assert.not.match(r.stdout, 'default');
});

test('forwards guest port 80 to 127.0.0.1:18080', async () => {
  const start = await ssh(host, 'echo hello-from-lab > /tmp/index.html && sudo setsid -f python3 -m http.server 80 --directory /tmp </dev/null >/dev/null 2>&1');
  assert.is(start.code, 0, start.stderr);
  assert.match(await fetchText('http://127.0.0.1:18080/index.html', 10_000), 'hello-from-lab');
});

test('installs nginx from the local apt repository and runs it as a service', async () => {
  await ssh(host, 'sudo pkill -f http.server; true');
  const r = await ssh(host, 'sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx');
  assert.is(r.code, 0, r.stderr);
  const status = await ssh(host, 'sudo service nginx status');
  assert.is(status.code, 0, status.stdout + status.stderr);
  assert.match(await fetchText('http://127.0.0.1:18080/', 5000), 'nginx');
});

test('pip installs gunicorn from the local wheelhouse into a venv', async () => {
  const r = await ssh(host, 'sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null && python3 -m venv /tmp/venv && /tmp/venv/bin/pip install -q gunicorn && /tmp/venv/bin/gunicorn --version');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'gunicorn (version');
});

test('up on a running lab is a no-op', async () => {
  const before = labState(file)!;
  const hosts = await labUp(file);
  assert.equal(labState(file)!.hosts[0]!.init, before.hosts[0]!.init);
  assert.equal(labState(file)!.forwarder, before.forwarder);
  assert.is(hosts[0]!.address, host.address);
});

test('status lists the host as running with its address and forwards', async () => {
  const [s] = await labStatus(file);
  assert.equal(s, { ...host, running: true });
});

test('reset wipes the host back to the clean base and keeps its host key', async () => {
  await ssh(host, 'touch /home/vagrant/marker');
  const state = labState(file)!;
  const lines = knownHostsTagged(state.knownHostsFile, state.knownHostsTag);
  await labReset(file);
  assert.not.ok(isAlive(state.hosts[0]!.init), 'the old host is gone');
  const r = await ssh(host, 'ls /home/vagrant/marker; dpkg -s nginx; echo done');
  assert.is(r.stdout.trim(), 'done');
  assert.equal(knownHostsTagged(state.knownHostsFile, state.knownHostsTag), lines);
});

test('up after a crash cleans the stale state and comes up again', async () => {
  const old = labState(file)!;
  process.kill(old.hosts[0]!.proc!.pid, 'SIGKILL'); // --kill-child takes the host's PID namespace with it
  process.kill(old.forwarder!.pid, 'SIGKILL');
  await waitFor('the killed host and forwarder to be gone', () => !isAlive(old.hosts[0]!.proc) && !isAlive(old.hosts[0]!.init) && !isAlive(old.forwarder));
  assert.is((await labStatus(file))[0]!.running, false);
  await up();
  assert.ok(host.running);
  assert.is.not(labState(file)!.hosts[0]!.init!.pid, old.hosts[0]!.init!.pid);
  assert.is((await ssh(host, 'hostname', { via: 'forward' })).stdout.trim(), 'lab-one');
});

test('refuses a forwarded port already in use, naming the port and the node', async () => {
  const other = join(dir, 'busy', 'cluster.json');
  rmSync(join(dir, 'busy'), { recursive: true, force: true });
  mkdirSync(join(dir, 'busy'));
  writeFileSync(other, JSON.stringify({ nodes: [{ host_name: 'busy-01', port_mappings: [{ guest_port: 22, host_port: 22199, host_ip: '127.0.0.1' }] }] }));
  const server = createServer();
  await new Promise<void>((r) => server.listen(22199, '127.0.0.1', () => r()));
  try {
    await labUp(other);
    assert.unreachable('up should fail');
  } catch (e) {
    assert.instance(e, ShipshapeError);
    assert.match((e as Error).message, '127.0.0.1:22199 is already in use');
    assert.match((e as Error).message, 'node "busy-01" (port_mappings[0])');
  } finally {
    await new Promise((r) => server.close(r));
  }
  assert.is(labState(other), undefined, 'nothing was recorded');
});

test('down leaves no namespace, veth, mount, process, known_hosts line or key behind', async () => {
  const state = labState(file)!;
  await labDown(file);
  assert.equal(await labLeftovers(state), []);
  assert.is(labState(file), undefined);
  assert.is((await labStatus(file))[0]!.running, false);
});

test.run();
