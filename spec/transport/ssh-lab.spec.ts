// The SSH transport against a lab host (Debian in a network namespace, real sshd and sudo),
// logging in as vagrant like the seed does: become, sudo passwords, concurrency, uploads.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import createDebug from 'debug';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { labDown, labUp, type LabHost } from '../../lib/lab/index.js';
import { secret } from '../../lib/secret.js';
import { connectSsh, type SshConnectOptions, type SshTransport } from '../../lib/transport/ssh.js';
import { beforeAll } from '../support/before-all.js';
import { waitFor } from '../support/wait.js';
import { rejects } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ss-transport-lab-'));
const file = join(dir, 'cluster.json');
const knownHosts = join(dir, 'known_hosts');
writeFileSync(file, JSON.stringify({ nodes: [
  { host_name: 'tr-01', port_mappings: [{ guest_port: 22, host_port: 23601, host_ip: '127.0.0.1' }], network_configs: [] },
  { host_name: 'tr-02', port_mappings: [{ guest_port: 22, host_port: 23602, host_ip: '127.0.0.1' }], network_configs: [] },
] }));
let host: LabHost;
let second: LabHost;
let t: SshTransport;

const opts = (): SshConnectOptions => ({
  host: host.name, address: host.address, port: host.port, user: host.user, privateKey: host.privateKey,
  knownHostsFile: knownHosts, agent: false, sshConfigFile: false,
});
const sshdConnections = async () => Number((await t.exec(
  "grep -l 'sshd: vagrant \\[priv\\]' /proc/[0-9]*/cmdline 2>/dev/null | wc -l", { become: true })).stdout.trim());

process.once('beforeExit', () => { labDown(file, { knownHostsFile: knownHosts }).catch(() => undefined); });
beforeAll(test, 'lab up', async () => {
  try {
    [host, second] = await labUp(file, { knownHostsFile: knownHosts });
    t = await connectSsh(opts());
  } catch (e) {
    await labDown(file, { knownHostsFile: knownHosts }).catch(() => undefined);
    throw e;
  }
});
test.after(async () => {
  await t?.close();
  await labDown(file, { knownHostsFile: knownHosts });
  rmSync(dir, { recursive: true, force: true });
});

test('logs in as vagrant by key, checking the host key the lab recorded', async () => {
  assert.equal(await t.exec('id -un; hostname'), { code: 0, stdout: 'vagrant\ntr-01\n', stderr: '' });
  const kh = join(dir, 'empty');
  writeFileSync(kh, '');
  await rejects(connectSsh({ ...opts(), knownHostsFile: kh }), /host key of tr-01 \(10\.77\.0\.\d+:22\) is not known: .*SHA256:/);
});

test('reaches a host through a jump host (proxyJump), checking both host keys', async () => {
  const target: SshConnectOptions = {
    host: second.name, address: second.address, port: second.port, user: second.user, privateKey: second.privateKey,
    knownHostsFile: knownHosts, agent: false, sshConfigFile: false, proxyJump: opts(),
  };
  const j = await connectSsh(target);
  try {
    const r = await j.exec('hostname; echo "$SSH_CLIENT" | cut -d" " -f1');
    // The second host sees the connection coming from the jump host's address, not the controller's.
    assert.equal(r.stdout.trim().split('\n'), ['tr-02', host.address]);
  } finally {
    await j.close();
  }
});

test('becomes root, or another user, with sudo -n and no password', async () => {
  assert.is((await t.exec('id -un; echo "$HOME"', { become: true })).stdout, 'root\n/root\n');
  assert.is((await t.exec('id -un', { become: 'nobody' })).stdout, 'nobody\n');
  assert.is((await t.exec('cat', { become: true, stdin: 'to root\n' })).stdout, 'to root\n');
  assert.is((await t.exec("printf '%s' \"it's\"", { become: true })).stdout, "it's");
});

test('becomes root with a sudo password sent over stdin, never on a command line or in a log', async () => {
  const password = 'Pw-' + Math.random().toString(36).slice(2);
  const setup = await t.exec([
    'id pwuser >/dev/null 2>&1 || useradd -m -s /bin/bash pwuser',
    `echo "pwuser:${password}" | chpasswd`,
    'echo "pwuser ALL=(ALL) ALL" > /etc/sudoers.d/pwuser && chmod 440 /etc/sudoers.d/pwuser',
    'install -d -o pwuser -m 700 /home/pwuser/.ssh && install -o pwuser -m 600 /home/vagrant/.ssh/authorized_keys /home/pwuser/.ssh/',
  ].join(' && '), { become: true });
  assert.is(setup.code, 0, setup.stderr);
  const lines: string[] = [];
  const oldLog = createDebug.log;
  const wasEnabled = createDebug.enabled('shipshape:ssh');
  createDebug.log = (...args: unknown[]) => { lines.push(args.map(String).join(' ')); };
  createDebug.enable('shipshape:ssh');
  const u = await connectSsh({ ...opts(), user: 'pwuser' });
  try {
    const pw = secret(password);
    const r = await u.exec('id -un; cat', { become: { password: pw }, stdin: 'after the password\n' });
    assert.equal(r, { code: 0, stdout: 'root\nafter the password\n', stderr: '' });
    const seen = await u.exec('cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" " "', { become: { password: pw } });
    assert.not.match(seen.stdout, password, 'not in any command line on the host');
    const noPw = await u.exec('id -un', { become: true });
    assert.is.not(noPw.code, 0);
    assert.match(noPw.stderr, /password is required/);
    // A wrong password, NOPASSWD and cached credentials: ssh-become-lab.spec.ts.
  } finally {
    await u.close();
    createDebug.log = oldLog;
    if (!wasEnabled) createDebug.disable();
  }
  assert.ok(lines.some((l) => l.includes('sudo -S')), 'the commands were logged');
  assert.not.ok(lines.some((l) => l.includes(password)), 'the password is in no log line');
});

test('runs 30 concurrent commands over one connection', async () => {
  const before = await sshdConnections();
  const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => t.exec(`sleep 0.2; echo ${i}`, { become: i % 2 === 0 })));
  assert.ok(rs.every((r, i) => r.code === 0 && r.stdout === `${i}\n`), JSON.stringify(rs.filter((r) => r.code !== 0)));
  assert.is(await sshdConnections(), before);
  assert.is(before, 1, 'only this transport is connected');
});

test('puts a root-owned file under become, atomically, with mode, owner and group', async () => {
  await t.put('/etc/shipshape-test.conf', 'port = 5000\n', { become: true, mode: 0o640, owner: 'root', group: 'vagrant' });
  const r = await t.exec("stat -c '%a %U %G' /etc/shipshape-test.conf; cat /etc/shipshape-test.conf; ls -A /etc | grep -c shipshape");
  assert.is(r.stdout, '640 root vagrant\nport = 5000\n1\n');
  const big = Buffer.alloc(1024 * 1024, 'z');
  await t.put('/opt/big.bin', big, { become: true });
  assert.is((await t.exec('wc -c < /opt/big.bin; stat -c %U /opt/big.bin')).stdout, `${big.length}\nroot\n`);
});

test('puts over SFTP as the login user, and fails clearly where it may not write', async () => {
  await t.put('/home/vagrant/note.txt', 'hi\n', { mode: 0o600 });
  assert.is((await t.exec("stat -c '%a %U' /home/vagrant/note.txt")).stdout, '600 vagrant\n');
  const e = await rejects(t.put('/etc/not-mine.conf', 'x'), /could not write \/etc\/not-mine\.conf/);
  assert.match(e.stderr ?? '', /Permission denied/);
  assert.is((await t.exec('ls -A /etc | grep -c not-mine || true')).stdout, '0\n');
});

test('kills a command on the host when it times out', async () => {
  const r = await t.exec('sleep 37; echo never', { timeoutMs: 300 });
  assert.is(r.code, 124);
  // The kill reaches the host asynchronously: wait (bounded) for the command to be gone.
  const left = async () => (await t.exec("grep -l '^sleep.37' /proc/[0-9]*/cmdline 2>/dev/null | wc -l")).stdout.trim();
  await waitFor('the timed-out command to be gone from the host', async () => await left() === '0');
});

test.run();
