// Real lab, three hosts: `lab up` repairs only what is broken (a killed init, a downed or
// deleted veth, changed port_mappings) and leaves healthy hosts as they are (same processes,
// same files); `lab up/down --host` handle one host, in the library and on the command line.
// Needs root. Ports 23751-23753 (and 23754 for a changed mapping).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { labDown, labStatus, labUp, type LabHost } from '../../lib/lab/index.js';
import { knownHostsTagged } from '../../lib/lab/known-hosts.js';
import { isAlive } from '../../lib/lab/proc.js';
import { run } from '../../lib/lab/run.js';
import type { ClusterState } from '../../lib/lab/state.js';
import { labLeftovers, labState, ssh, sshdPid, upperPath, waitUntil } from '../support/lab.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(join(tmpdir(), 'ss-lab-repair-'));
const file = join(dir, 'cluster.json');
const NAMES = ['rep-01', 'rep-02', 'rep-03'];
const node = (name: string, port: number) => ({ host_name: name, port_mappings: [{ guest_port: 22, host_port: port, host_ip: '127.0.0.1' }] });
const writeCluster = (ports: number[]) => writeFileSync(file, JSON.stringify({ nodes: NAMES.map((n, i) => node(n, ports[i]!)) }, null, 2));
writeCluster([23751, 23752, 23753]);

let hosts: LabHost[] = [];
let everUp: ClusterState | undefined;
const log: string[] = [];
const opts = { log: (l: string) => { log.push(l); } };

const cleanup = async () => {
  await labDown(file).catch((e) => console.error('lab down failed:', e));
  rmSync(dir, { recursive: true, force: true });
};
process.once('beforeExit', () => { cleanup().catch(() => undefined); });
test.after(async () => {
  await cleanup();
  if (everUp) assert.equal(await labLeftovers(everUp), [], 'the repair lab left things behind');
});

/** What makes a host "the same host": its init, its sshd, and a marker file in its root fs. */
interface Identity { init: number; sshd: number | undefined; marker: boolean }
function identity(name: string): Identity {
  const h = labState(file)!.hosts.find((x) => x.name === name);
  return { init: isAlive(h?.init) ? h!.init!.pid : -1, sshd: sshdPid(file, name), marker: existsSync(upperPath(file, name, 'root/marker')) };
}
const host = (name: string) => hosts.find((h) => h.name === name)!;
const hostname = async (name: string, via: 'address' | 'forward' = 'forward') => (await ssh(host(name), 'hostname', { via })).stdout.trim();

/** `lab up` with its log lines captured. */
async function up(o: { hosts?: string[] } = {}): Promise<string> {
  log.length = 0;
  hosts = await labUp(file, { ...opts, ...o });
  return log.join('\n');
}

test('brings three hosts up, each with a marker file written through ssh', async () => {
  await up();
  everUp = labState(file);
  assert.equal(hosts.map((h) => h.name), NAMES);
  for (const n of NAMES) {
    const r = await ssh(host(n), 'touch /root/marker && hostname', { user: 'root' });
    assert.is(r.stdout.trim(), n, r.stderr);
    assert.ok(identity(n).marker, `${n}: the marker is in its overlay upper`);
    assert.type(identity(n).sshd, 'number', `${n}: its sshd runs`);
  }
});

test('up on a healthy lab changes nothing', async () => {
  const before = NAMES.map(identity);
  const out = await up();
  assert.match(out, 'is already up');
  assert.equal(NAMES.map(identity), before);
});

test('a host whose init was killed is the only one restarted, on its own files', async () => {
  const before = new Map(NAMES.map((n) => [n, identity(n)]));
  const dead = labState(file)!.hosts.find((h) => h.name === 'rep-02')!;
  process.kill(dead.init!.pid, 'SIGKILL');
  await waitUntil('rep-02 to stop', () => !isAlive(dead.init) && !isAlive(dead.proc), 10_000);
  assert.equal((await labStatus(file)).map((h) => h.running), [true, false, true]);
  const out = await up();
  assert.match(out, 'rep-02: restarted on its own files (its init process is not running)');
  assert.match(out, '1 host(s) repaired, 2 already up and left as they were');
  for (const n of ['rep-01', 'rep-03']) assert.equal(identity(n), before.get(n), `${n} was left as it was`);
  const now = identity('rep-02');
  assert.is.not(now.init, before.get('rep-02')!.init);
  assert.type(now.sshd, 'number');
  assert.is.not(now.sshd, before.get('rep-02')!.sshd);
  assert.ok(now.marker, 'its files were kept');
  for (const n of NAMES) assert.is(await hostname(n), n);
  assert.is((await ssh(host('rep-02'), 'ls /root/marker', { user: 'root' })).stdout.trim(), '/root/marker');
});

test('a downed veth and a deleted one are mended in place: same processes', async () => {
  const before = NAMES.map(identity);
  const s = labState(file)!;
  await run('ip', ['link', 'set', s.hosts[0]!.veth, 'down']);
  await run('ip', ['link', 'del', s.hosts[2]!.veth]);
  const out = await up();
  assert.match(out, `rep-01: link repaired (its veth ${s.hosts[0]!.veth} is down)`);
  assert.match(out, `rep-03: link repaired (its veth ${s.hosts[2]!.veth} is missing)`);
  assert.equal(NAMES.map(identity), before);
  for (const n of NAMES) assert.is(await hostname(n, 'address'), n);
});

test('a deleted network namespace restarts only that host, in a new one', async () => {
  const before = new Map(NAMES.map((n) => [n, identity(n)]));
  const s = labState(file)!;
  await run('ip', ['netns', 'del', s.hosts[1]!.netns]);
  const out = await up();
  assert.match(out, `rep-02: restarted on its own files (its network namespace ${s.hosts[1]!.netns} is missing)`);
  for (const n of ['rep-01', 'rep-03']) assert.equal(identity(n), before.get(n), `${n} was left as it was`);
  assert.is.not(identity('rep-02').init, before.get('rep-02')!.init);
  assert.ok(identity('rep-02').marker, 'its files were kept');
  assert.ok((await run('ip', ['netns', 'list'])).stdout.includes(s.hosts[1]!.netns));
  for (const n of NAMES) assert.is(await hostname(n, 'address'), n);
});

test('changed port_mappings change only the forwards', async () => {
  const before = NAMES.map(identity);
  writeCluster([23754, 23752, 23753]);
  try {
    const out = await up();
    assert.match(out, 'rep-01: forwards updated');
    assert.equal(NAMES.map(identity), before);
    assert.is(host('rep-01').forwards[0]!.hostPort, 23754);
    assert.is(await hostname('rep-01'), 'rep-01');
    const tagged = knownHostsTagged(labState(file)!.knownHostsFile, labState(file)!.knownHostsTag);
    assert.ok(tagged.some((l) => l.startsWith('[127.0.0.1]:23754 ')), 'the new forward is in known_hosts');
    assert.not.ok(tagged.some((l) => l.startsWith('[127.0.0.1]:23751 ')), 'the old one is gone');
  } finally {
    writeCluster([23751, 23752, 23753]);
    await up();
  }
});

test('down --host removes one host only; up --host brings just it back, fresh', async () => {
  const before = new Map(NAMES.map((n) => [n, identity(n)]));
  const s = labState(file)!;
  const gone = s.hosts.find((h) => h.name === 'rep-03')!;
  await labDown(file, { ...opts, hosts: ['rep-03'] });
  assert.not.ok(isAlive(gone.init));
  const links = (await run('ip', ['-o', 'link', 'show'])).stdout;
  assert.not.ok(links.includes(` ${gone.veth}@`) || links.includes(` ${gone.veth}:`), 'its veth is gone');
  assert.not.ok((await run('ip', ['netns', 'list'])).stdout.includes(gone.netns), 'its namespace is gone');
  assert.not.ok(existsSync(s.privateKeys.find((f) => f.includes('/rep-03/'))!), 'its private key is gone');
  const tagged = knownHostsTagged(s.knownHostsFile, s.knownHostsTag);
  assert.not.ok(tagged.some((l) => l.startsWith(`${gone.address} `) || l.startsWith('[127.0.0.1]:23753 ')), 'its known_hosts lines are gone');
  assert.equal((await labStatus(file)).map((h) => h.running), [true, true, false]);
  for (const n of ['rep-01', 'rep-02']) assert.equal(identity(n), before.get(n));

  const out = await up({ hosts: ['rep-03'] });
  assert.match(out, 'rep-03: created');
  for (const n of ['rep-01', 'rep-02']) assert.equal(identity(n), before.get(n));
  assert.is(host('rep-03').address, gone.address, 'it gets its address back');
  assert.not.ok(identity('rep-03').marker, 'a host taken down comes back from the clean base');
  assert.is(await hostname('rep-03'), 'rep-03');
});

/** `tsx bin/shipshape.ts lab ...`: exit code and output. */
function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repo, 'node_modules/tsx/dist/cli.mjs'), join(repo, 'bin/shipshape.ts'), 'lab', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const bound = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => { clearTimeout(bound); resolve({ code, out }); });
  });
}

test('the command line: lab down --host and lab up --host (repeatable or a comma list)', async () => {
  const keep = identity('rep-01');
  const down = await cli(['down', file, '--host', 'rep-02,rep-03']);
  assert.is(down.code, 0, down.out);
  assert.match(down.out, 'lab down: rep-02, rep-03 removed; 1 host(s) still up');
  const status = await cli(['status', file]);
  assert.is(status.code, 3, status.out);
  assert.match(status.out, /rep-01\s+\S+\s+running/);
  assert.match(status.out, /rep-02\s+-\s+stopped/);
  const again = await cli(['up', file, '--host', 'rep-02', '--host', 'rep-03']);
  assert.is(again.code, 0, again.out);
  assert.match(again.out, 'rep-02: created (not up)');
  assert.match(again.out, 'rep-03: created (not up)');
  assert.equal(identity('rep-01'), keep, 'rep-01 was left as it was');
  const unknown = await cli(['up', file, '--host', 'rep-09']);
  assert.is(unknown.code, 4, unknown.out);
  assert.match(unknown.out, 'has no host rep-09');
  const bad = await cli(['status', file, '--host', 'rep-01']);
  assert.is(bad.code, 4, bad.out);
  assert.match(bad.out, '--host is only for lab up, down and reset');
  hosts = await labUp(file);
  assert.ok(hosts.every((h) => h.running));
});

test('down takes everything away', async () => {
  const s = labState(file)!;
  await labDown(file);
  assert.equal(await labLeftovers(s), []);
  assert.is(labState(file), undefined);
  assert.ok(readFileSync(file, 'utf8').includes('rep-01'), 'the cluster file is the user\'s: left alone');
});

test.run();
