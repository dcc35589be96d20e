// The extended facts on a real lab host (Debian, systemd): `shipshape facts -i cluster.json` run as
// a process, every group checked against what the host says through ssh by other means (free,
// /sys, findmnt, stat, dpkg -s, id, python3 itself); then a deploy whose `when` reads memory
// and packages. The host gets a default route via the bridge first (the lab has none; it sends
// nothing). Needs root. Port 24900.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../lib/dsl/project.js';
import type { Facts } from '../../lib/ops/types.js';
import { deploy, labSuite, why } from '../ops/applied-twice/lab-run.js';

const HOST = 'facts-01';
const repo = fileURLToPath(new URL('../..', import.meta.url));
const lab = labSuite(test, HOST, 24900, async () => {
  const r = await lab.on('sudo -n ip route replace default via 10.77.0.1 dev eth0');
  if (r.code !== 0) throw new Error(`could not add the default route: ${r.stderr}`);
});

/** `tsx bin/shipshape.ts …`: exit code and output. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repo, 'node_modules/tsx/dist/cli.mjs'), join(repo, 'bin/shipshape.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const bound = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => { clearTimeout(bound); resolve({ code, stdout, stderr }); });
  });
}

let facts: Facts | undefined;
const factsOf = async (): Promise<Facts> => {
  if (facts) return facts;
  const r = await cli(['facts', '-i', lab.clusterFile()]);
  assert.is(r.code, 0, r.stderr);
  return (facts = (JSON.parse(r.stdout) as Record<string, Facts>)[HOST]!);
};
const out = async (cmd: string) => {
  const r = await lab.on(cmd);
  assert.is(r.code, 0, `${cmd}: ${r.stderr}`);
  return r.out;
};

test('shipshape facts prints memory as free -m reports it', async () => {
  const f = await factsOf();
  const free = (await out('free -m')).split('\n');
  const row = (name: string) => free.find((l) => l.startsWith(name))!.split(/\s+/).map(Number);
  assert.is(f.memory.totalMb, row('Mem:')[1]);
  assert.is(f.memory.swapTotalMb, row('Swap:')[1]);
  assert.ok(f.memory.availableMb > 0 && f.memory.availableMb <= f.memory.totalMb, JSON.stringify(f.memory));
});

test('shipshape facts prints the lab address on eth0 with its MAC, and the default route', async () => {
  const f = await factsOf();
  const eth0 = f.network.interfaces.eth0!;
  assert.equal(eth0.ipv4, [{ address: lab.host().address, prefix: 24, scope: 'global' }]);
  assert.is(eth0.mac, await out('cat /sys/class/net/eth0/address'));
  assert.equal(f.network.interfaces.lo!.ipv4.map((a) => a.address), ['127.0.0.1']);
  assert.match(await out('ip -4 route show default'), 'default via 10.77.0.1 dev eth0');
  assert.equal(f.network.defaultIpv4, { interface: 'eth0', gateway: '10.77.0.1', address: lab.host().address });
  assert.is(f.network.defaultIpv6, null, 'the lab disables IPv6');
});

test('shipshape facts prints the root filesystem with the size stat -f gives, and the block devices', async () => {
  const f = await factsOf();
  const root = f.mounts.find((m) => m.mountpoint === '/');
  assert.ok(root, JSON.stringify(f.mounts));
  const [blocks, size] = (await out("stat -f -c '%b %S' /")).split(' ').map(Number);
  assert.is(root.sizeMb, Math.floor((blocks! * size!) / 1024 / 1024));
  assert.is(root.fstype, await out('findmnt -n -o FSTYPE /'));
  assert.ok(root.availableMb !== null && root.availableMb <= root.sizeMb!, JSON.stringify(root));
  const partitions = (await out('cat /proc/partitions')).split('\n').slice(2).map((l) => l.trim().split(/\s+/).pop());
  assert.equal(f.blockDevices.map((b) => b.name), partitions);
});

test('shipshape facts prints the installed packages with the versions dpkg -s gives (openssh-server among them)', async () => {
  const f = await factsOf();
  assert.is(f.packages['openssh-server'], await out("dpkg -s openssh-server | sed -n 's/^Version: //p'"));
  assert.is(Object.keys(f.packages).length, Number(await out("dpkg -l | grep -c '^ii'")));
});

test('shipshape facts prints users and groups as id and the home folder say', async () => {
  const f = await factsOf();
  assert.equal(f.users.root, { uid: 0, gid: 0, comment: 'root', home: '/root', shell: '/bin/bash' });
  assert.is(f.users.vagrant!.uid, Number(await out('id -u vagrant')));
  assert.is(f.users.vagrant!.home, await out('echo ~vagrant'));
  assert.is(f.groups.vagrant!.gid, Number(await out('id -g vagrant')));
});

test('shipshape facts prints systemd as the service manager, and python3 with the version it gives itself', async () => {
  const f = await factsOf();
  assert.is(f.serviceManager, 'systemd');
  assert.is(f.init, 'systemd');
  assert.is(f.python.path, await out('command -v python3'));
  assert.is(f.python.version, await out("python3 -c 'import platform; print(platform.python_version())'"));
});

test('a deploy whose when reads facts.memory.totalMb and facts.packages runs or skips its tasks by them', async () => {
  const p = createProject();
  const mb = (await factsOf()).memory.totalMb;
  lab.target(p)
    .file('/tmp/ss-facts-memory', { content: 'some\n', name: 'has memory', when: (f) => f.memory.totalMb > 0 })
    .file('/tmp/ss-facts-huge', { content: 'huge\n', name: 'has a petabyte', when: (f) => f.memory.totalMb > 1e9 })
    .file('/tmp/ss-facts-ssh', { content: 'ssh\n', name: 'has openssh-server', when: (f) => 'openssh-server' in f.packages })
    .file('/tmp/ss-facts-none', { content: 'none\n', name: 'has no-such-package', when: (f) => 'no-such-package' in f.packages })
    .template({ inline: '{{facts.memory.totalMb}}\n' }, '/tmp/ss-facts-mb', { name: 'memory in a template' });
  const r = await deploy(p);
  assert.is(r.result.exitCode, 0, why(r));
  const status = Object.fromEntries([...r.byName].map(([n, t]) => [n, t.status]));
  assert.equal(status, { 'has memory': 'changed', 'has a petabyte': 'skipped', 'has openssh-server': 'changed', 'has no-such-package': 'skipped', 'memory in a template': 'changed' });
  assert.is(await out('ls /tmp/ss-facts-memory /tmp/ss-facts-ssh /tmp/ss-facts-huge /tmp/ss-facts-none 2>/dev/null; true'), '/tmp/ss-facts-memory\n/tmp/ss-facts-ssh');
  assert.is(await out('cat /tmp/ss-facts-mb'), String(mb));
  const again = await deploy(p);
  assert.is(again.result.hosts[HOST]?.changed, 0, why(again));
});

test.run();
