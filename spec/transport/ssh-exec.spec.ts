// Commands over one real SSH connection: results, concurrency, pool, lost connections.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SshPool } from '../../lib/transport/ssh-pool.js';
import { connectSsh, type SshConnectOptions } from '../../lib/transport/ssh.js';
import { beforeAll } from '../support/before-all.js';
import { cmdline, signalAll, startSshd, type Sshd, clientOptions } from '../support/sshd.js';
import { rejects, within } from './helpers.js';

let s: Sshd;
beforeAll(test, 'starting sshd', async () => { s = await startSshd(); });
test.after(async () => { await s?.stop(); });

const base = (): SshConnectOptions => clientOptions(s);

function countRunning(sshd: Sshd, command: string): number {
  return sshd.sessionPids().filter((p) => cmdline(p) === command).length;
}

async function until(ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('writes stdin to the command, then closes it', async () => {
  const t = await connectSsh(base());
  try {
    assert.equal(await t.exec('tr a-z A-Z', { stdin: 'hello\n' }), { code: 0, stdout: 'HELLO\n', stderr: '' });
    assert.is((await t.exec('cat')).stdout, '', 'no stdin: EOF at once, no hang');
    const big = Buffer.alloc(3 * 1024 * 1024, 'x');
    assert.is((await t.exec('wc -c', { stdin: big })).stdout.trim(), String(big.length));
  } finally {
    await t.close();
  }
});

test('decodes output as UTF-8 even when a character spans two packets', async () => {
  const t = await connectSsh(base());
  try {
    const r = await t.exec("i=0; while [ $i -lt 20000 ]; do printf 'é€'; i=$((i+1)); done");
    assert.is(r.stdout, 'é€'.repeat(20000));
  } finally {
    await t.close();
  }
});

test('gives 128+n for a command killed by signal n, and 124 after timeoutMs', async () => {
  const t = await connectSsh(base());
  try {
    assert.is((await t.exec('kill -TERM $$')).code, 143);
    assert.is((await t.exec('kill -KILL $$')).code, 137);
    const t0 = Date.now();
    const r = await t.exec('sleep 20', { timeoutMs: 300 });
    assert.is(r.code, 124);
    assert.match(r.stderr, 'timed out after 300 ms');
    assert.ok(Date.now() - t0 < 10_000, 'the 20 s command did not run to its end');
    assert.is((await t.exec('echo still usable')).code, 0);
  } finally {
    await t.close();
  }
});

test('does not wrap a become of the login user', async () => {
  const t = await connectSsh(base());
  try {
    assert.is((await t.exec('id -un', { become: true })).stdout, 'root\n');
    assert.is((await t.exec('id -un', { become: { user: 'root', password: 'unused' } })).stdout, 'root\n');
  } finally {
    await t.close();
  }
});

test('runs 30 concurrent commands over one connection, at most 8 channels at a time', async () => {
  const before = s.connections();
  const t = await connectSsh(base());
  try {
    // Each command notes how many commands ran when it started (itself included); its sleep
    // leaves room for overlap to show. No count may pass 8, whatever the machine's speed.
    const running = join(s.dir, 'running');
    const seen = join(s.dir, 'seen');
    mkdirSync(running);
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) =>
      t.exec(`touch ${running}/${i}; ls ${running} | wc -l >> ${seen}; sleep 0.3; rm ${running}/${i}; echo ${i}`)));
    assert.equal(rs.map((r) => r.stdout.trim()), Array.from({ length: 30 }, (_, i) => String(i)));
    assert.ok(rs.every((r) => r.code === 0));
    assert.is(s.connections() - before, 1, 'one TCP connection');
    const counts = readFileSync(seen, 'utf8').trim().split('\n').map(Number);
    assert.is(counts.length, 30);
    assert.ok(Math.max(...counts) <= 8, `at most 8 at a time, but saw ${Math.max(...counts)}`);
    assert.ok(Math.max(...counts) > 1, 'more than one at a time');
  } finally {
    await t.close();
  }
});

test('keeps going when the server allows fewer sessions than maxChannels', async () => {
  const small = await startSshd({ config: 'MaxSessions 3' });
  const t = await connectSsh({ ...base(), port: small.port, knownHostsFile: small.knownHosts, privateKey: small.userKey, maxChannels: 6 });
  try {
    const rs = await within(20_000, Promise.all(Array.from({ length: 12 }, (_, i) => t.exec(`sleep 0.1; echo ${i}`))));
    assert.ok(rs.every((r, i) => r.code === 0 && r.stdout === `${i}\n`));
  } finally {
    await t.close();
    await small.stop();
  }
});

test('gives every task of a host the same connection through the pool', async () => {
  const before = s.connections();
  const pool = new SshPool({ knownHostsFile: s.knownHosts, agent: false, sshConfigFile: false });
  try {
    const opts = { address: s.address, port: s.port, user: 'root', privateKey: s.userKey };
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => pool.get('lo', opts).exec(`echo ${i}`)));
    assert.ok(rs.every((r, i) => r.stdout === `${i}\n`));
    assert.is(pool.get('lo'), pool.get('lo', opts));
    assert.is(pool.size, 1);
    assert.is(s.connections() - before, 1);
  } finally {
    await pool.closeAll();
  }
});

test('fails a running command when the connection dies, and later calls at once', async () => {
  const t = await connectSsh(base());
  try {
    const running = rejects(t.exec('sleep 31'), /connection to lo \(127\.0\.0\.1:\d+\) lost/);
    const waiting = Array.from({ length: 12 }, () => rejects(t.exec('sleep 31'), /lost/));
    await until(() => countRunning(s, 'sleep 31') === 8);
    signalAll(s.sessionPids(), 'SIGKILL');
    const e = await within(3000, running, 'the failing exec');
    assert.ok(e.unreachable);
    assert.match(e.command ?? '', 'sleep 31');
    for (const w of await within(3000, Promise.all(waiting))) assert.ok(w.unreachable);
    assert.ok(t.dead);
    const conns = s.connections();
    const later = await rejects(t.exec('true'), /lost/);
    assert.ok(later.unreachable);
    await rejects(t.put('/tmp/x', 'x'), /lost/);
    assert.is(s.connections(), conns, 'no new connect attempt');
  } finally {
    await t.close();
  }
});

test('notices a server that stops answering through keepalive', async () => {
  const t = await connectSsh({ ...base(), keepaliveIntervalMs: 200 });
  try {
    const running = rejects(t.exec('sleep 32'), /lost: no answer to keepalive probes/);
    await until(() => countRunning(s, 'sleep 32') === 1);
    const frozen = s.sessionPids();
    signalAll(frozen, 'SIGSTOP');
    const e = await within(5000, running, 'keepalive detection');
    assert.ok(e.unreachable);
    signalAll(frozen, 'SIGKILL');
    signalAll(frozen, 'SIGCONT');
  } finally {
    await t.close();
  }
});

test('rejects a running command on close() instead of hanging', async () => {
  const t = await connectSsh(base());
  const running = rejects(t.exec('sleep 30'));
  await until(() => countRunning(s, 'sleep 30') === 1, 30_000);
  await within(3000, t.close(), 'close');
  await within(3000, running, 'the running exec');
  await rejects(t.exec('true'), /closed/);
});

test.run();
