// Host keys and login keys against real OpenSSH servers on 127.0.0.1: no downgrade to a key
// type not on file, no SHA-1 RSA unless allowed, new keys recorded only once the connection
// is up, private keys readable by others refused, the target's key kept from jump hosts.
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import ssh2, { type BaseAgent, type ParsedKey } from 'ssh2';
import { redact } from '../../lib/secret.js';
import { authMethods, SHA1_REFUSED } from '../../lib/transport/ssh-auth.js';
import { resolveSshOptions } from '../../lib/transport/ssh-options.js';
import { connectSsh, type SshConnectOptions } from '../../lib/transport/ssh.js';
import { beforeAll } from '../support/before-all.js';
import { clientOptions, keygen, startAgent, startSshd, withSshd, type Sshd } from '../support/sshd.js';
import { rejects } from './helpers.js';

let s: Sshd;
beforeAll(test, 'starting sshd', async () => { s = await startSshd(); });
test.after(async () => { await s?.stop(); });

const base = (): SshConnectOptions => clientOptions(s);
const lineFor = (srv: Sshd, pub: string) => `[127.0.0.1]:${srv.port} ${pub}\n`;

test('refuses a host offering only a key type not on file, even with acceptNewHostKeys (no downgrade)', async () => {
  const kh = join(s.dir, 'ecdsa_only');
  const recorded = lineFor(s, keygen(join(s.dir, 'other_ecdsa'), 'ecdsa'));
  writeFileSync(kh, recorded);
  const e = await rejects(connectSsh({ ...base(), knownHostsFile: kh, acceptNewHostKeys: true }), /HOST KEY CHANGED for lo \(127\.0\.0\.1:\d+\)/);
  assert.ok(e.unreachable);
  assert.match(e.message, /no ecdsa-sha2-nistp256 key/);
  assert.match(e.fix ?? '', `line 1 of ${kh}`);
  assert.is(readFileSync(kh, 'utf8'), recorded, 'the ed25519 key was not recorded as a new host');
});

test('asks a server with several host keys for the recorded type, and records nothing new', async () => {
  await withSshd(async (two) => {
    for (const type of ['ecdsa', 'ed25519'] as const) {
      const kh = join(two.dir, `only_${type}`);
      writeFileSync(kh, lineFor(two, two.hostKeyPubs[type]!));
      const t = await connectSsh({ ...clientOptions(two), knownHostsFile: kh, acceptNewHostKeys: true });
      try {
        assert.is((await t.exec('echo ok')).stdout, 'ok\n', `logged in knowing only the ${type} key`);
      } finally {
        await t.close();
      }
      assert.is(readFileSync(kh, 'utf8'), lineFor(two, two.hostKeyPubs[type]!), `only the ${type} line`);
    }
  }, { hostKeys: ['ed25519', 'ecdsa'] });
});

test('refuses a host key signed with SHA-1 (ssh-rsa) unless the host is allowed it', async () => {
  await withSshd(async (rsa) => {
    const kh = join(rsa.dir, 'rsa_known');
    writeFileSync(kh, lineFor(rsa, rsa.hostKeyPub));
    const e = await rejects(connectSsh({ ...clientOptions(rsa), knownHostsFile: kh }), /signs its RSA host key only with SHA-1 \(ssh-rsa\)/);
    assert.match(e.fix ?? '', 'allowSshRsa');
    const empty = join(rsa.dir, 'empty');
    writeFileSync(empty, '');
    await rejects(connectSsh({ ...clientOptions(rsa), knownHostsFile: empty, acceptNewHostKeys: true }), /offers no host key type accepted here/);
    assert.is(readFileSync(empty, 'utf8'), '');
    const t = await connectSsh({ ...clientOptions(rsa), knownHostsFile: kh, allowSshRsa: true });
    await t.close();
  }, { hostKeys: ['rsa'], config: 'HostKeyAlgorithms ssh-rsa' });
});

test('logs in with an RSA key by SHA-2 signatures, and will not sign with SHA-1 unless the host is allowed it', async () => {
  // OpenSSH 7.2+ always offers rsa-sha2-*: ssh2 signs with SHA-1 only for servers that do not,
  // which no server here is, so the refusal is checked on the signers themselves.
  const key = join(s.dir, 'user_rsa');
  writeFileSync(join(s.dir, 'authorized_keys'), keygen(key, 'rsa') + '\n', { flag: 'a' });
  const agent = await startAgent(s.dir, [key]);
  try {
    for (const via of [{ privateKey: key }, { privateKey: undefined, agent: agent.sock }]) {
      const t = await connectSsh({ ...base(), ...via });
      await t.close();
    }
    assert.match(s.log(), /Accepted publickey for root .* RSA SHA256:/);
    const data = Buffer.from('session id and request');
    for (const allowSshRsa of [false, true]) {
      const { methods } = authMethods(resolveSshOptions({ ...base(), privateKey: key, agent: agent.sock, allowSshRsa }));
      const file = methods.find((m) => m.type === 'publickey') as { key: ParsedKey };
      const method = methods.find((m) => m.type === 'agent') as { agent: BaseAgent | string };
      const viaAgent = { agent: typeof method.agent === 'string' ? ssh2.createAgent(method.agent) : method.agent };
      // Allowed, SHA-1 is left to the crypto library (OpenSSL 3 may refuse it itself).
      const refusedHere = (r: Buffer | Error) => r instanceof Error && r.message === SHA1_REFUSED;
      assert.is(refusedHere(file.key.sign(data, 'sha1') as Buffer | Error), !allowSshRsa, `key file, SHA-1, allowSshRsa ${allowSshRsa}`);
      assert.ok(file.key.verify(data, file.key.sign(data, 'sha256'), 'sha256'), 'a SHA-2 signature is made and valid');
      const [identity] = await new Promise<ParsedKey[]>((res, rej) => viaAgent.agent.getIdentities((e, keys) => (e ? rej(e) : res(keys as ParsedKey[]))));
      const signed = (hash: 'sha1' | 'sha256') => new Promise<Error | Buffer>((res) => viaAgent.agent.sign(identity!, data, { hash }, (e, sig) => res(e ?? sig!)));
      assert.is(refusedHere(await signed('sha1')), !allowSshRsa, `agent, SHA-1, allowSshRsa ${allowSshRsa}`);
      assert.ok(Buffer.isBuffer(await signed('sha256')));
    }
  } finally {
    await agent.stop();
  }
});

test('reads allowSshRsa from ~/.ssh/config: HostKeyAlgorithms or PubkeyAcceptedAlgorithms naming ssh-rsa', () => {
  const cfg = join(s.dir, 'rsa_config');
  writeFileSync(cfg, 'Host old\n  HostKeyAlgorithms +ssh-rsa\nHost older\n  PubkeyAcceptedKeyTypes ssh-ed25519,ssh-rsa\nHost new\n  HostKeyAlgorithms -ssh-rsa\n');
  const allowed = (host: string) => resolveSshOptions({ host, sshConfigFile: cfg, agent: false }).allowSshRsa;
  assert.equal([allowed('old'), allowed('older'), allowed('new'), allowed('other')], [true, true, false, false]);
});

test('records a new host key only once the connection is up, not when the login fails', async () => {
  const kh = join(s.dir, 'record_after_login');
  writeFileSync(kh, '');
  const stranger = join(s.dir, 'stranger_key');
  keygen(stranger);
  await rejects(connectSsh({ ...base(), knownHostsFile: kh, acceptNewHostKeys: true, privateKey: stranger }), /the server refused key/);
  assert.is(readFileSync(kh, 'utf8'), '', 'nothing recorded for a connection that never came up');
  const t = await connectSsh({ ...base(), knownHostsFile: kh, acceptNewHostKeys: true });
  await t.close();
  assert.is(readFileSync(kh, 'utf8'), lineFor(s, s.hostKeyPub));
});

test('refuses a private key file others can read, with the fix', async () => {
  const loose = join(s.dir, 'loose_key');
  copyFileSync(s.userKey, loose);
  for (const mode of [0o644, 0o640, 0o604]) {
    chmodSync(loose, mode);
    const e = await rejects(connectSsh({ ...base(), privateKey: loose }), /UNPROTECTED PRIVATE KEY FILE: .*loose_key \(mode 0\d+\) can be read by others/);
    assert.is(e.fix, `chmod 600 ${loose}`);
  }
  chmodSync(loose, 0o600);
  const t = await connectSsh({ ...base(), privateKey: loose });
  await t.close();
});

test('does not offer the target\'s key or passphrase to a jump host that has none configured', async () => {
  const opts: SshConnectOptions = { ...base(), passphrase: 'Target-Passphrase', proxyJump: `root@127.0.0.1:${s.port}` };
  const r = resolveSshOptions(opts);
  assert.is.not(r.jump, undefined);
  assert.not.ok(r.jump!.keyFiles.includes(s.userKey), 'the target key file is not among the jump host\'s');
  assert.is(r.jump!.passphrase, undefined);
  const before = s.log().split('\n').filter((l) => l.startsWith('Accepted publickey')).length;
  await rejects(connectSsh(opts), /127\.0\.0\.1:\d+/);
  const after = s.log().split('\n').filter((l) => l.startsWith('Accepted publickey')).length;
  assert.is(after, before, 'the jump host accepted no key');
  // Configured for the jump host (here through an ssh config file), the same key is used.
  const cfg = join(s.dir, 'jump_config');
  writeFileSync(cfg, `Host 127.0.0.1\n  IdentityFile ${s.userKey}\n`);
  const t = await connectSsh({ ...opts, passphrase: undefined, sshConfigFile: cfg });
  await t.close();
});

test('refuses an address that would write other known_hosts lines, before connecting', async () => {
  const kh = join(s.dir, 'forged');
  writeFileSync(kh, '');
  const forged = `127.0.0.1\n* ${keygen(join(s.dir, 'forged_key'))}`;
  const e = await rejects(connectSsh({ ...base(), address: forged, knownHostsFile: kh, acceptNewHostKeys: true }), /is not a host name or IP address/);
  assert.ok(e.unreachable);
  assert.is(readFileSync(kh, 'utf8'), '');
});

test('registers plain-string passphrases as secrets', () => {
  resolveSshOptions({ host: 'x', passphrase: 'Plain-Passphrase-42', sshConfigFile: false, agent: false });
  assert.is(redact('key passphrase Plain-Passphrase-42 was wrong'), 'key passphrase ******** was wrong');
});

test.run();
