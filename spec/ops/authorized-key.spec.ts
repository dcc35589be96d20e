import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../lib/dsl/project.js';
import { authorizedKeyOp, editKeys, parseKeyLine, type AuthorizedKeyArgs } from '../../lib/ops/authorized-key.js';
import { buildPlan } from '../../lib/plan/build.js';
import { opTable, sections } from '../support/op-harness.js';
import { tmpDir } from '../support/tmp.js';

const M = '::shipshape::';
const ALICE = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAar7V81XMjaCFBKtTeJ0G/EXj/1NoA8GQO8CPxrBIhL alice@laptop';
const BOB = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIdft6E0bVkiUakdWJ0zJS8WrSXTf7aMRn6BaaJrc8Gw bob@desk';
const CAROL = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGiCJDHq0jNWO43HEVWlxgpkm84UA4irPcV0EqBccpCxIKcPZkt51cU5p1FCqql3S9IvzXBdjVEt5Kzp7M1Gokk= carol';
const PASSWD = 'vagrant:x:1000:1000:vagrant:/home/vagrant:/bin/bash\n';
const DIR = 'directory 700 vagrant vagrant 1000 1000';
const FILE = 'file 600 vagrant vagrant 1000 1000';
const KEYS = '/home/vagrant/.ssh/authorized_keys';

/** Probe output: passwd entry, stat of ~/.ssh, stat of authorized_keys, its content. */
function probed(o: { passwd?: string; dir?: string; file?: string; keys?: string } = {}): string {
  return sections(`${M}passwd\n${o.passwd ?? PASSWD}${M}dir\n${o.dir ?? DIR}\n${M}file\n${o.file ?? FILE}\n${M}keys\n${o.keys ?? ''}`);
}

opTable<AuthorizedKeyArgs>(authorizedKeyOp, [
  {
    name: 'adds a missing key at the end, keeping the other lines',
    args: { user: 'vagrant', key: ALICE },
    probed: probed({ keys: `# lab key\n${BOB}\n` }),
    expect: {
      probe: ['getent passwd vagrant', 'f="$h/.ssh/authorized_keys"'],
      changes: [{ what: 'key', before: 'missing', after: 'present', content: { path: KEYS, before: `# lab key\n${BOB}\n`, after: `# lab key\n${BOB}\n${ALICE}\n` } }],
      actions: [{ kind: 'put', path: KEYS, data: `# lab key\n${BOB}\n${ALICE}\n`, mode: 0o600, owner: '1000', group: '1000' }],
    },
  },
  { name: 'does nothing when the key is there', args: { user: 'vagrant', key: ALICE }, probed: probed({ keys: `${BOB}\n${ALICE}\n` }), expect: { changes: [], noop: `${KEYS} has the key` } },
  {
    name: 'a key given without a comment matches the line whatever its comment',
    args: { user: 'vagrant', key: ALICE.replace(' alice@laptop', '') },
    probed: probed({ keys: `${ALICE}\n` }),
    expect: { changes: [] },
  },
  {
    name: 'a different comment updates the line in place',
    args: { user: 'vagrant', key: ALICE.replace('alice@laptop', 'alice@new laptop') },
    probed: probed({ keys: `${ALICE}\n${BOB}\n` }),
    expect: {
      changes: [{ what: 'key', before: 'present with other options or comment', content: { after: `${ALICE.replace('alice@laptop', 'alice@new laptop')}\n${BOB}\n` } }],
    },
  },
  {
    name: 'different options update the line; the comment is kept',
    args: { user: 'vagrant', key: `restrict,from="10.0.0.0/8" ${ALICE.replace(' alice@laptop', '')}` },
    probed: probed({ keys: `${ALICE}\n` }),
    expect: { changes: [{ what: 'key', content: { after: `restrict,from="10.0.0.0/8" ${ALICE}\n` } }] },
  },
  {
    name: 'a line with options is found by its key body',
    args: { user: 'vagrant', key: `command="echo \\"hi there\\"" ${CAROL}` },
    probed: probed({ keys: `command="echo \\"hi there\\"" ${CAROL}\n` }),
    expect: { changes: [] },
  },
  {
    name: 'duplicates of the key are folded into one line',
    args: { user: 'vagrant', key: ALICE },
    probed: probed({ keys: `${ALICE}\n${BOB}\n${ALICE.replace('alice@laptop', 'old')}\n` }),
    expect: { changes: [{ what: 'key', before: 'present more than once', content: { after: `${ALICE}\n${BOB}\n` } }] },
  },
  {
    name: 'creates ~/.ssh 0700 and authorized_keys 0600, owned by the user',
    args: { user: 'vagrant', key: ALICE },
    probed: probed({ dir: 'absent', file: 'absent' }),
    expect: {
      changes: [{ what: 'key', before: 'no authorized_keys', content: { before: '', after: `${ALICE}\n` } }],
      actions: [
        { kind: 'exec', command: 'mkdir -m 0700 -- /home/vagrant/.ssh && chown -h 1000:1000 -- /home/vagrant/.ssh' },
        { kind: 'put', path: KEYS, data: `${ALICE}\n`, mode: 0o600, owner: '1000', group: '1000' },
      ],
    },
  },
  {
    name: 'fixes the modes sshd insists on when the key is there',
    args: { user: 'vagrant', key: ALICE },
    probed: probed({ dir: 'directory 775 vagrant vagrant 1000 1000', file: 'file 644 root root 0 0', keys: `${ALICE}\n` }),
    expect: {
      changes: [{ what: 'dir', before: '0775 vagrant', after: '0700 vagrant' }, { what: 'file', before: '0644 root', after: '0600 vagrant' }],
      actions: [
        { kind: 'exec', command: 'chown -h 1000:1000 -- /home/vagrant/.ssh && chmod 0700 -- /home/vagrant/.ssh' },
        { kind: 'exec', command: `chown -h 1000:1000 -- ${KEYS} && chmod 0600 -- ${KEYS}` },
      ],
    },
  },
  {
    name: 'a missing trailing newline is added with the key',
    args: { user: 'vagrant', key: ALICE },
    probed: probed({ keys: BOB }),
    expect: { changes: [{ what: 'key', content: { after: `${BOB}\n${ALICE}\n` } }] },
  },
  {
    name: 'exclusive removes the other keys, keeps comments',
    args: { user: 'vagrant', key: ALICE, exclusive: true },
    probed: probed({ keys: `# ops\n${BOB}\n${ALICE}\n${CAROL}\n` }),
    expect: { changes: [{ what: 'key', before: 'present with other keys', content: { after: `# ops\n${ALICE}\n` } }] },
  },
  {
    name: 'absent removes every line with the key body, whatever its comment or options',
    args: { user: 'vagrant', key: ALICE, state: 'absent' },
    probed: probed({ keys: `${ALICE}\n${BOB}\nno-pty ${ALICE.replace('alice@laptop', 'other')}\n` }),
    expect: {
      changes: [{ what: 'key', before: 'present', after: 'absent', content: { after: `${BOB}\n` } }],
      actions: [{ kind: 'put', path: KEYS, data: `${BOB}\n`, mode: 0o600 }],
    },
  },
  { name: 'absent does nothing when the key is not there', args: { user: 'vagrant', key: ALICE, state: 'absent' }, probed: probed({ keys: `${BOB}\n` }), expect: { changes: [], noop: `${KEYS} has no such key` } },
  { name: 'absent does nothing without an authorized_keys', args: { user: 'vagrant', key: ALICE, state: 'absent' }, probed: probed({ dir: 'absent', file: 'absent' }), expect: { changes: [] } },
  { name: 'absent does nothing for a user that does not exist', args: { user: 'ghost', key: ALICE, state: 'absent' }, probed: probed({ passwd: '', dir: 'nohome', file: 'absent' }), expect: { changes: [], noop: 'user ghost does not exist' } },
  { name: 'a missing user is an error naming the host', args: { user: 'ghost', key: ALICE }, probed: probed({ passwd: '', dir: 'nohome', file: 'absent' }), expect: { throws: /^user ghost does not exist on web-01$/ } },
  { name: 'a missing home is an error', args: { user: 'vagrant', key: ALICE }, probed: probed({ dir: 'nohome', file: 'absent' }), expect: { throws: /home directory \/home\/vagrant of vagrant does not exist/ } },
  { name: 'a symlinked ~/.ssh is refused', args: { user: 'vagrant', key: ALICE }, probed: probed({ dir: 'link', file: 'absent' }), expect: { throws: /^\/home\/vagrant\/.ssh is a symlink: refusing to write through it$/ } },
  { name: 'a symlinked authorized_keys is refused', args: { user: 'vagrant', key: ALICE }, probed: probed({ file: 'link' }), expect: { throws: /authorized_keys is a symlink/ } },
  { name: 'rejects an unknown key type', args: { user: 'vagrant', key: 'ssh-dss AAAAB3NzaC1kc3MAAACBAP x' }, expect: { problems: [/^key "ssh-dss AAAAB3NzaC1kc3MAAACBAP x" is not a public key line: it must be \[options\] type base64 \[comment\], with a type among ssh-ed25519/] } },
  { name: 'rejects a body that is not base64', args: { user: 'vagrant', key: 'ssh-ed25519 not*base64 x' }, expect: { problems: [/has a body that is not a base64 public key/] } },
  { name: 'rejects a body of another key type', args: { user: 'vagrant', key: `ssh-rsa ${ALICE.split(' ')[1]}` }, expect: { problems: [/says ssh-rsa, but its base64 is a ssh-ed25519 key/] } },
  { name: 'rejects a key cut short', args: { user: 'vagrant', key: ALICE.replace('AAAAIAar7V81', '') }, expect: { problems: [/has a body that is not a base64 public key|its base64 is/] } },
  { name: 'rejects two keys in one', args: { user: 'vagrant', key: `${ALICE}\n${BOB}` }, expect: { problems: [/must be one line \(one key per task\)/] } },
  { name: 'rejects a bad user name', args: { user: 'no body', key: ALICE }, expect: { problems: ['user "no body" is not a valid user name'] } },
  { name: 'rejects exclusive with absent', args: { user: 'vagrant', key: ALICE, state: 'absent', exclusive: true }, expect: { problems: ["exclusive goes with state 'present', not 'absent'"] } },
]);

test('authorizedKey: parses key lines with and without options', () => {
  assert.equal(parseKeyLine(ALICE), { options: '', type: 'ssh-ed25519', body: ALICE.split(' ')[1], comment: 'alice@laptop' });
  assert.equal(parseKeyLine(`from="a b",no-pty ${BOB}`)?.options, 'from="a b",no-pty');
  assert.is(parseKeyLine('# comment'), undefined);
  assert.is(parseKeyLine(''), undefined);
  assert.is(parseKeyLine('garbage line here'), undefined);
});

test('authorizedKey: other lines stay byte for byte, CRLF and odd spacing included', () => {
  const text = `${BOB}\r\n  # indented comment\n\n${CAROL}\n`;
  assert.is(editKeys(text, { user: 'u', key: ALICE }), `${text}${ALICE}\n`);
  assert.is(editKeys(`${text}${ALICE}\n`, { user: 'u', key: ALICE, state: 'absent' }), text);
});

test('authorizedKey: keys ssh-keygen makes, of every type it makes, are valid', () => {
  const tmp = tmpDir('ss-authkey-');
  try {
    for (const [t, bits] of [['ed25519', ''], ['rsa', '2048'], ['ecdsa', '256'], ['ecdsa', '384'], ['ecdsa', '521']] as const) {
      const f = join(tmp.dir, `${t}${bits}`);
      const r = spawnSync('ssh-keygen', ['-q', '-t', t, ...(bits ? ['-b', bits] : []), '-N', '', '-C', 'me@example.org', '-f', f]);
      assert.is(r.status, 0, String(r.stderr));
      const key = readFileSync(`${f}.pub`, 'utf8').trim();
      assert.equal(authorizedKeyOp.validate({ user: 'vagrant', key }, { host: 'web-01', baseDir: '.', vars: {} }), [], key);
    }
  } finally {
    tmp.cleanup();
  }
});

test('bad input is a plan problem naming the host, the task and the value, before any connection', () => {
  const p = createProject();
  p.host('web-01').authorizedKey('vagrant', 'ssh-ed25519 AAAA', { name: 'the task' });
  const found = buildPlan(p).problems;
  assert.is(found.length, 1, JSON.stringify(found));
  assert.is(found[0]!.host, 'web-01');
  assert.is(found[0]!.task, 'the task');
  assert.match(found[0]!.message, 'key "ssh-ed25519 AAAA"');
  assert.ok(found[0]!.callSite?.file.endsWith('.spec.ts'), 'points at the line of the call');
});

test.run();
