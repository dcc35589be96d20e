// Logging in to a real OpenSSH server on 127.0.0.1: keys, agent, host keys, retries, jump host.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectSsh, createSshTransport, type SshConnectOptions } from '../../lib/transport/ssh.js';
import { beforeAll } from '../support/before-all.js';
import { freePort, keygen, startAgent, startSshd, type Sshd, clientOptions } from '../support/sshd.js';
import { rejects, within } from './helpers.js';

let s: Sshd;
beforeAll(test, 'starting sshd', async () => { s = await startSshd(); });
test.after(async () => { await s?.stop(); });

const base = (): SshConnectOptions => clientOptions(s);
const hostFingerprint = () => spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(s.dir, 'host_ed25519.pub')], { encoding: 'utf8' }).stdout.split(' ')[1]!;

test('logs in with a key file and runs a command', async () => {
  const t = await connectSsh(base());
  try {
    const r = await t.exec('echo out; echo err >&2; id -un; exit 3');
    assert.equal(r, { code: 3, stdout: 'out\nroot\n', stderr: 'err\n' });
  } finally {
    await t.close();
  }
});

test('logs in with a key held by ssh-agent', async () => {
  const agent = await startAgent(s.dir, [s.userKey]);
  const t = createSshTransport('lo', { ...base(), privateKey: undefined, agent: agent.sock });
  try {
    assert.equal(t.options.keyFiles, [], 'no key file offered: only the agent can log in');
    assert.is((await t.exec('echo via agent')).stdout, 'via agent\n');
  } finally {
    await t.close();
    await agent.stop();
  }
});

test('refuses a key the server does not know, naming user, host and key, without retrying', async () => {
  const wrong = join(s.dir, 'wrong_key');
  keygen(wrong);
  const before = s.connections();
  const e = await rejects(connectSsh({ ...base(), privateKey: wrong, retries: 2 }), /cannot log in to lo \(127\.0\.0\.1:\d+\) as root: the server refused key .*wrong_key/);
  assert.ok(e.unreachable);
  assert.match(e.fix ?? '', /authorized_keys/);
  assert.is(s.connections() - before, 1, 'a refused login is not retried');
});

test('asks for the passphrase of an encrypted key, and logs in with it', async () => {
  const enc = join(s.dir, 'enc_key');
  const pub = keygen(enc, 'ed25519', 'correct horse');
  writeFileSync(join(s.dir, 'authorized_keys'), pub + '\n', { flag: 'a' });
  const e = await rejects(connectSsh({ ...base(), privateKey: enc }), /enc_key/);
  assert.match(e.fix ?? '', /passphrase|ssh-add/);
  const t = await connectSsh({ ...base(), privateKey: enc, passphrase: 'correct horse' });
  await t.close();
});

test('refuses an unknown host key, giving its SHA256 fingerprint and how to accept it', async () => {
  const kh = join(s.dir, 'empty_known_hosts');
  writeFileSync(kh, '');
  const e = await rejects(connectSsh({ ...base(), knownHostsFile: kh, retries: 2 }), /host key of lo \(127\.0\.0\.1:\d+\) is not known/);
  assert.ok(e.unreachable);
  assert.match(e.message, hostFingerprint());
  assert.match(e.message, /SHA256:[A-Za-z0-9+/]{43}( |$)/);
  assert.match(e.fix ?? '', '--accept-new-host-keys');
  assert.match(e.fix ?? '', `ssh-keyscan -p ${s.port} 127.0.0.1 >> ${kh}`);
  assert.is(readFileSync(kh, 'utf8'), '', 'nothing recorded without acceptNewHostKeys');
});

test('refuses a changed host key loudly, naming the line to remove', async () => {
  const kh = join(s.dir, 'changed_known_hosts');
  const other = keygen(join(s.dir, 'other_host_key'));
  writeFileSync(kh, `# first line\n[127.0.0.1]:${s.port} ${other}\n`);
  for (const accept of [false, true]) {
    const e = await rejects(connectSsh({ ...base(), knownHostsFile: kh, acceptNewHostKeys: accept }), /HOST KEY CHANGED/);
    assert.ok(e.unreachable);
    assert.match(e.message, /man-in-the-middle/);
    assert.match(e.message, hostFingerprint());
    assert.match(e.fix ?? '', `remove the old line 2 of ${kh}`);
  }
  assert.is(readFileSync(kh, 'utf8').split('\n').length, 3, 'a changed key is never recorded');
});

test('trusts a host key from the system-wide known_hosts, and never writes to it', async () => {
  const user = join(s.dir, 'user_known_hosts');
  const global = join(s.dir, 'global_known_hosts');
  writeFileSync(user, '');
  writeFileSync(global, `[127.0.0.1]:${s.port} ${s.hostKeyPub}\n`);
  const t = await connectSsh({ ...base(), knownHostsFile: user, globalKnownHostsFile: global, acceptNewHostKeys: true });
  try {
    assert.is((await t.exec('echo ok')).stdout, 'ok\n');
  } finally {
    await t.close();
  }
  assert.is(readFileSync(user, 'utf8'), '', 'a key known system-wide is not recorded again');
  await rejects(connectSsh({ ...base(), knownHostsFile: user, globalKnownHostsFile: false }), /is not known/);
  const other = keygen(join(s.dir, 'other_global_key'));
  writeFileSync(global, `[127.0.0.1]:${s.port} ${other}\n`);
  const e = await rejects(connectSsh({ ...base(), knownHostsFile: user, globalKnownHostsFile: global }), /HOST KEY CHANGED/);
  assert.match(e.fix ?? '', `line 1 of ${global}`);
});

test('refuses a revoked host key', async () => {
  const kh = join(s.dir, 'revoked_known_hosts');
  writeFileSync(kh, `[127.0.0.1]:${s.port} ${s.hostKeyPub}\n@revoked * ${s.hostKeyPub}\n`);
  await rejects(connectSsh({ ...base(), knownHostsFile: kh }), /REVOKED .*line 2/);
});

test('records a new host key with acceptNewHostKeys, then checks it on the next connect', async () => {
  const kh = join(s.dir, 'sub', 'new_known_hosts');
  const t1 = await connectSsh({ ...base(), knownHostsFile: kh, acceptNewHostKeys: true });
  await t1.close();
  assert.is(readFileSync(kh, 'utf8'), `[127.0.0.1]:${s.port} ${s.hostKeyPub}\n`);
  const t2 = await connectSsh({ ...base(), knownHostsFile: kh, acceptNewHostKeys: false });
  await t2.close();
  const r = spawnSync('ssh-keygen', ['-F', `[127.0.0.1]:${s.port}`, '-f', kh], { encoding: 'utf8' });
  assert.is(r.status, 0, 'OpenSSH reads the recorded line');
  assert.is(readFileSync(kh, 'utf8').split('\n').length, 2, 'recorded once');
});

test('retries a refused connection with backoff, then names address and port', async () => {
  const port = await freePort();
  const t0 = Date.now();
  const e = await rejects(connectSsh({ ...base(), port, retries: 2 }), new RegExp(`cannot connect to lo \\(127\\.0\\.0\\.1:${port}\\): connection refused`));
  assert.ok(Date.now() - t0 >= 700, 'waited 250 + 500 ms between the three attempts');
  assert.ok(e.unreachable);
  assert.match(e.fix ?? '', 'is sshd running');
});

test('gives up on a server that never answers after connectTimeoutMs per attempt', async () => {
  const sockets: Socket[] = [];
  const silent = createServer((c) => sockets.push(c));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as { port: number }).port;
  try {
    const t0 = Date.now();
    const e = await within(5000, rejects(connectSsh({ ...base(), port, connectTimeoutMs: 300, retries: 1 }), /no answer within 0\.3 s/));
    assert.ok(e.unreachable);
    assert.ok(Date.now() - t0 >= 800, 'two attempts of 300 ms and a 250 ms pause');
    assert.is(sockets.length, 2);
  } finally {
    for (const c of sockets) c.destroy();
    await new Promise((r) => silent.close(r));
  }
});

test('reaches a host through a jump host', async () => {
  const before = s.connections();
  const t = await connectSsh({ ...base(), host: 'inner', proxyJump: { ...base(), host: 'jump' } });
  try {
    assert.is((await t.exec('echo $SSH_CONNECTION')).stdout.split(' ')[0], '127.0.0.1');
    assert.is(s.connections() - before, 2, 'one connection to the jump host, one through it');
  } finally {
    await t.close();
  }
});

test('reaches a host through a jump host written as user@host:port', async () => {
  const before = s.connections();
  // The jump host's key comes from its own config, never from the target's options.
  const cfg = join(s.dir, 'jump_ssh_config');
  writeFileSync(cfg, `Host 127.0.0.1\n  IdentityFile ${s.userKey}\n`);
  const t = await connectSsh({ ...base(), sshConfigFile: cfg, proxyJump: `root@127.0.0.1:${s.port}` });
  try {
    assert.is((await t.exec('echo through')).stdout, 'through\n');
    assert.is(s.connections() - before, 2);
  } finally {
    await t.close();
  }
  const kh = join(s.dir, 'jump_unknown');
  writeFileSync(kh, '');
  await rejects(connectSsh({ ...base(), sshConfigFile: cfg, knownHostsFile: kh, proxyJump: `root@127.0.0.1:${s.port}` }), /host key of 127\.0\.0\.1:\d+ is not known/);
});

test.run();
