// become with a password against the real sudo of a lab host, and uploads under become: the
// password goes to sudo only when sudo asks (never to the command: NOPASSWD, cached
// credentials), a wrong one fails without the input being tried as more attempts, and the
// shell upload renames over the target, never leaving a truncated file or a temp file.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { labDown, labUp, type LabHost } from '../../lib/lab/index.js';
import { secret } from '../../lib/secret.js';
import { connectSsh, type SshConnectOptions, type SshTransport } from '../../lib/transport/ssh.js';
import { beforeAll } from '../support/before-all.js';
import { killHard, rejects, startPutChild, waitUntil } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ss-become-lab-'));
const file = join(dir, 'cluster.json');
const knownHosts = join(dir, 'known_hosts');
writeFileSync(file, JSON.stringify({ nodes: [
  { host_name: 'tr-03', port_mappings: [{ guest_port: 22, host_port: 23603, host_ip: '127.0.0.1' }], network_configs: [] },
] }));
const password = 'Pw-' + Math.random().toString(36).slice(2);
let host: LabHost;
let t: SshTransport;

const opts = (user?: string): SshConnectOptions => ({
  host: host.name, address: host.address, port: host.port, user: user ?? host.user, privateKey: host.privateKey,
  knownHostsFile: knownHosts, agent: false, sshConfigFile: false,
});
const sh = async (cmd: string) => {
  const r = await t.exec(cmd, { become: true });
  assert.is(r.code, 0, `${cmd}: ${r.stderr}`);
  return r.stdout;
};
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

process.once('beforeExit', () => { labDown(file, { knownHostsFile: knownHosts }).catch(() => undefined); });
beforeAll(test, 'lab up and sudo users', async () => {
  try {
    [host] = await labUp(file, { knownHostsFile: knownHosts });
    t = await connectSsh(opts());
    // pwuser: sudo asks for a password; cacheuser: the same, remembered for every session.
    await sh([
      'for u in pwuser cacheuser; do',
      '  id $u >/dev/null 2>&1 || useradd -m -s /bin/bash $u',
      `  echo "$u:${password}" | chpasswd`,
      '  install -d -o $u -m 700 /home/$u/.ssh && install -o $u -m 600 /home/vagrant/.ssh/authorized_keys /home/$u/.ssh/',
      'done',
      'echo "pwuser ALL=(ALL) ALL" > /etc/sudoers.d/pwuser',
      'printf "%s\\n" "Defaults:cacheuser timestamp_type=global, timestamp_timeout=30" "cacheuser ALL=(ALL) ALL" > /etc/sudoers.d/cacheuser',
      'chmod 440 /etc/sudoers.d/pwuser /etc/sudoers.d/cacheuser',
      'visudo -c >/dev/null',
    ].join('\n'));
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

test('sends the password when sudo asks for it, then the input to the command, with no prompt in stderr', async () => {
  const u = await connectSsh(opts('pwuser'));
  try {
    assert.match((await u.exec('true', { become: true })).stderr, 'a password is required');
    const r = await u.exec('id -un; cat', { become: { password: secret(password) }, stdin: 'after the password\n' });
    assert.equal(r, { code: 0, stdout: 'root\nafter the password\n', stderr: '' });
    await u.put('/etc/pw-upload.conf', 'asked first\n', { become: { password: secret(password) }, mode: 0o640 });
    assert.is(await sh("stat -c '%a %U' /etc/pw-upload.conf; cat /etc/pw-upload.conf"), '640 root\nasked first\n');
  } finally {
    await u.close();
  }
});

test('never feeds the password to a command sudo runs without asking (NOPASSWD): exec and upload', async () => {
  const become = { password: 'Pw-never-read' };
  assert.equal(await t.exec('cat', { become, stdin: 'only the input\n' }), { code: 0, stdout: 'only the input\n', stderr: '' });
  await t.put('/etc/nopasswd.conf', 'port = 5000\n', { become, mode: 0o644 });
  const content = await sh('cat /etc/nopasswd.conf');
  assert.is(content, 'port = 5000\n');
  assert.not.match(content, 'Pw-never-read');
});

test('never feeds the password to a command when sudo has the credentials cached', async () => {
  const u = await connectSsh(opts('cacheuser'));
  try {
    assert.is.not((await u.exec('true', { become: true })).code, 0, 'not cached yet: sudo -n fails');
    assert.is((await u.exec('id -un', { become: { password: secret(password) } })).stdout, 'root\n');
    assert.is((await u.exec('true', { become: true })).code, 0, 'now cached: sudo -n works');
    const r = await u.exec('cat', { become: { password: secret(password) }, stdin: 'only the input\n' });
    assert.equal(r, { code: 0, stdout: 'only the input\n', stderr: '' });
  } finally {
    await u.close();
  }
});

test('a wrong password fails clearly, and the input is never tried as the next attempt', async () => {
  const u = await connectSsh(opts('pwuser'));
  try {
    await sh('rm -f /root/ran');
    // After a wrong password, sudo would read the input's first line (the right one) as attempt two.
    const e = await rejects(u.exec('touch /root/ran', { become: { password: 'Pw-wrong-one' }, stdin: `${password}\n` }),
      /sudo refused the become password for root/);
    assert.ok(!e.unreachable);
    assert.match(e.stderr ?? '', 'Sorry, try again');
    assert.is(await sh('test -e /root/ran && echo ran || echo not-run'), 'not-run\n');
    assert.is((await u.exec('echo still usable')).stdout, 'still usable\n');
  } finally {
    await u.close();
  }
});

test('uploads through the shell under become by renaming over: a reader and a hard link see no partial or in-place write', async () => {
  await sh('mkdir -p /opt/swap');
  const a = Buffer.alloc(1024 * 1024, 'a');
  const b = Buffer.alloc(1024 * 1024, 'b');
  await t.put('/opt/swap/big', a, { become: true });
  await sh('ln -f /opt/swap/big /opt/swap/first-version');
  let reading = true;
  const reader = t.exec(`n=0; while [ $n -lt 300 ]; do
    s=$(wc -c < /opt/swap/big); [ "$s" = 1048576 ] || echo "BAD SIZE $s"
    n=$((n+1)); done; echo reads=$n`).finally(() => { reading = false; });
  let puts = 0;
  while (reading) await t.put('/opt/swap/big', puts++ % 2 ? a : b, { become: true });
  assert.is((await reader).stdout, 'reads=300\n');
  assert.ok(puts >= 3, `only ${puts} uploads while reading`);
  assert.is(await sh('stat -c %h /opt/swap/big; tr -d a < /opt/swap/first-version | wc -c; ls -A /opt/swap'), '1\n0\nbig\nfirst-version\n');
});

test('a controller killed mid-upload under become leaves the old file and no temp file', async () => {
  await sh('mkdir -p /opt/killed && echo old > /opt/killed/big.bin');
  const child = await startPutChild({ ssh: opts(), path: '/opt/killed/big.bin', size: 30 * 1024 * 1024, fill: 'k', become: true });
  const others = () => sh("find /opt/killed -mindepth 1 ! -name big.bin -printf '%f %s\\n'");
  await waitUntil(async () => /\s[1-9]\d*\n/.test(await others()), 30_000, 'the upload starting');
  await killHard(child);
  // The connection is gone: the writer sees end of input and must not rename what it got.
  await waitUntil(async () => (await others()) === '', 30_000, 'the writer ending');
  assert.is(await sh('sha256sum < /opt/killed/big.bin'), `${sha('old\n')}  -\n`);
});

test.run();
