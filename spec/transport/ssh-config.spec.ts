import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sshConfigFor } from '../../lib/transport/ssh-config.js';
import { resolveSshOptions } from '../../lib/transport/ssh-options.js';

const dir = mkdtempSync('/tmp/ss-sshcfg-');
const cfg = join(dir, 'config');
writeFileSync(cfg, `
# lab hosts
Host web-*
  HostName 10.77.0.%h
  user vagrant
  Port 2222
  IdentityFile ~/.ssh/lab_%r
  IdentityFile "%d/.ssh/other key"
  ProxyJump bastion
  UserKnownHostsFile ~/.ssh/lab_known_hosts /tmp/second

Host bastion
  HostName 127.0.0.1
  User jump
  ProxyJump none
  ServerAliveInterval 5
  ServerAliveCountMax 2

Host *
  User root
  IdentityFile ~/.ssh/id_fallback
`);

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('reads HostName, User, Port, IdentityFile, ProxyJump and UserKnownHostsFile for an alias', () => {
  assert.equal(sshConfigFor('web-01', cfg), {
    hostName: '10.77.0.web-01',
    user: 'vagrant',
    port: 2222,
    identityFiles: [join(homedir(), '.ssh/lab_vagrant'), join(homedir(), '.ssh/other key'), join(homedir(), '.ssh/id_fallback')],
    proxyJump: 'bastion',
    userKnownHostsFiles: [join(homedir(), '.ssh/lab_known_hosts'), '/tmp/second'],
  });
});

test('treats ProxyJump none as no jump and lets the first value win', () => {
  const c = sshConfigFor('bastion', cfg);
  assert.is(c.proxyJump, undefined);
  assert.is(c.user, 'jump');
  assert.is(c.hostName, '127.0.0.1');
});

test('gives nothing for a missing config file', () => {
  assert.equal(sshConfigFor('web-01', join(dir, 'nope')), {});
});

test('lets inventory and call options override ~/.ssh/config', () => {
  const r = resolveSshOptions({ host: 'web-01', user: 'deploy', privateKey: '~/k', sshConfigFile: cfg, agent: false });
  assert.is(r.user, 'deploy');
  assert.is(r.address, '10.77.0.web-01');
  assert.is(r.port, 2222);
  assert.equal(r.keyFiles, [join(homedir(), 'k')]);
  assert.equal(r.knownHostsFiles, [join(homedir(), '.ssh/lab_known_hosts'), '/tmp/second']);
  assert.is(r.jump?.host, 'bastion');
  assert.is(r.jump?.user, 'jump');
  assert.is(r.jump?.address, '127.0.0.1');
  assert.is(r.jump?.jump, undefined);
});

test('reads a ProxyJump chain as nested jumps, the last hop nearest the target', () => {
  const r = resolveSshOptions({ host: 'x', address: '10.0.0.1', proxyJump: 'a@first:2200,second', sshConfigFile: false, agent: false });
  assert.is(r.jump?.host, 'second');
  assert.is(r.jump?.jump?.host, 'first');
  assert.is(r.jump?.jump?.user, 'a');
  assert.is(r.jump?.jump?.port, 2200);
  assert.is(r.jump?.jump?.jump, undefined);
});

test('uses the defaults when nothing says otherwise', () => {
  const r = resolveSshOptions({ host: 'plain', sshConfigFile: false, agent: false });
  assert.is(r.address, 'plain');
  assert.is(r.port, 22);
  assert.is(r.connectTimeoutMs, 10_000);
  assert.is(r.retries, 2);
  assert.is(r.maxChannels, 8);
  assert.equal(r.knownHostsFiles, [join(homedir(), '.ssh/known_hosts')]);
});

test('ServerAliveInterval and ServerAliveCountMax set the keepalive; options given by the inventory win', () => {
  assert.equal([sshConfigFor('bastion', cfg).keepaliveIntervalMs, sshConfigFor('bastion', cfg).keepaliveCountMax], [5000, 2]);
  const fromFile = resolveSshOptions({ host: 'bastion', sshConfigFile: cfg });
  assert.equal([fromFile.keepaliveIntervalMs, fromFile.keepaliveCountMax], [5000, 2]);
  const given = resolveSshOptions({ host: 'bastion', sshConfigFile: cfg, keepaliveIntervalMs: 2000, keepaliveCountMax: 1 });
  assert.equal([given.keepaliveIntervalMs, given.keepaliveCountMax], [2000, 1]);
  const plain = resolveSshOptions({ host: 'nowhere.example.org', sshConfigFile: join(dir, 'missing') });
  assert.equal([plain.keepaliveIntervalMs, plain.keepaliveCountMax], [10_000, 3]);
});

test.run();
