import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  addKnownHost, blobType, checkHostKey, entryMatches, fingerprint, hostLookupName, isHostName, knownHostsLine, parseKnownHosts, readKnownHosts,
} from '../../lib/transport/known-hosts.js';

function blob(type: string, fill: number): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.alloc(36, fill)]);
}
const ED_A = blob('ssh-ed25519', 1);
const ED_B = blob('ssh-ed25519', 2);
const RSA_A = blob('ssh-rsa', 3);
const b64 = (b: Buffer) => b.toString('base64');

const matchTable: { hosts: string; host: string; port?: number; match: boolean }[] = [
  { hosts: '10.77.0.11', host: '10.77.0.11', match: true },
  { hosts: '10.77.0.11', host: '10.77.0.12', match: false },
  { hosts: 'web-01,10.77.0.11', host: '10.77.0.11', match: true },
  { hosts: 'web-01,10.77.0.11', host: 'web-01', match: true },
  { hosts: '[10.77.0.11]:2222', host: '10.77.0.11', port: 2222, match: true },
  { hosts: '[10.77.0.11]:2222', host: '10.77.0.11', port: 22, match: false },
  { hosts: '10.77.0.11', host: '10.77.0.11', port: 2222, match: false },
  { hosts: '[10.77.0.11]:22', host: '10.77.0.11', port: 22, match: false },
  { hosts: '10.77.0.*', host: '10.77.0.42', match: true },
  { hosts: '10.77.0.*,!10.77.0.42', host: '10.77.0.42', match: false },
  { hosts: 'web-0?', host: 'web-07', match: true },
  { hosts: 'WEB-01', host: 'web-01', match: true },
];

for (const row of matchTable) {
  test(`host field ${row.hosts} ${row.match ? 'matches' : 'does not match'} ${hostLookupName(row.host, row.port)}`, () => {
    assert.is(entryMatches({ hosts: row.hosts }, row.host, row.port), row.match);
  });
}

test('parses plain, marked, port and comma-list lines and skips comments, blanks and junk', () => {
  const text = [
    '# a comment',
    '',
    `web-01,10.77.0.11 ssh-ed25519 ${b64(ED_A)} comment here`,
    `[10.77.0.12]:2222 ssh-rsa ${b64(RSA_A)}`,
    `@revoked * ssh-ed25519 ${b64(ED_B)}`,
    `@cert-authority *.lab ssh-ed25519 ${b64(ED_B)}`,
    '@bogus host ssh-ed25519 AAAA',
    'half-a-line ssh-ed25519',
    `mismatch ssh-rsa ${b64(ED_A)}`,
    '   # indented comment',
  ].join('\n');
  const e = parseKnownHosts(text, 'kh');
  assert.equal(e.map((x) => [x.line, x.marker, x.hosts, x.keyType]), [
    [3, undefined, 'web-01,10.77.0.11', 'ssh-ed25519'],
    [4, undefined, '[10.77.0.12]:2222', 'ssh-rsa'],
    [5, 'revoked', '*', 'ssh-ed25519'],
    [6, 'cert-authority', '*.lab', 'ssh-ed25519'],
  ]);
  assert.ok(e[0]!.key.equals(ED_A));
  assert.is(e[0]!.file, 'kh');
});

const checkTable: { name: string; lines: string[]; host: string; port: number; key: Buffer; status: string; line?: number }[] = [
  { name: 'accepts the recorded key', lines: [`10.77.0.11 ssh-ed25519 ${b64(ED_A)}`], host: '10.77.0.11', port: 22, key: ED_A, status: 'known', line: 1 },
  { name: 'calls a host with no line unknown', lines: [`10.77.0.11 ssh-ed25519 ${b64(ED_A)}`], host: '10.77.0.12', port: 22, key: ED_A, status: 'unknown' },
  { name: 'calls another key of the same type a change', lines: ['# x', `10.77.0.11 ssh-ed25519 ${b64(ED_A)}`], host: '10.77.0.11', port: 22, key: ED_B, status: 'changed', line: 2 },
  { name: 'calls a key of a type not recorded a change, not a new host (no downgrade)', lines: [`10.77.0.11 ssh-rsa ${b64(RSA_A)}`], host: '10.77.0.11', port: 22, key: ED_A, status: 'changed', line: 1 },
  { name: 'calls another type a change also when the line is hashed', lines: [knownHostsLine('10.77.0.11', 22, RSA_A, true)], host: '10.77.0.11', port: 22, key: ED_A, status: 'changed', line: 1 },
  { name: 'accepts any of several recorded keys', lines: [`10.77.0.11 ssh-rsa ${b64(RSA_A)}`, `10.77.0.11 ssh-ed25519 ${b64(ED_B)}`], host: '10.77.0.11', port: 22, key: ED_B, status: 'known', line: 2 },
  { name: 'refuses a revoked key even when also recorded', lines: [`10.77.0.11 ssh-ed25519 ${b64(ED_A)}`, `@revoked * ssh-ed25519 ${b64(ED_A)}`], host: '10.77.0.11', port: 22, key: ED_A, status: 'revoked', line: 2 },
  { name: 'ignores cert-authority lines', lines: [`@cert-authority * ssh-ed25519 ${b64(ED_A)}`], host: '10.77.0.11', port: 22, key: ED_A, status: 'unknown' },
  { name: 'keeps ports apart', lines: [`[127.0.0.1]:2222 ssh-ed25519 ${b64(ED_A)}`], host: '127.0.0.1', port: 2223, key: ED_B, status: 'unknown' },
  { name: 'sees a change on a non-standard port', lines: [`[127.0.0.1]:2222 ssh-ed25519 ${b64(ED_A)}`], host: '127.0.0.1', port: 2222, key: ED_B, status: 'changed', line: 1 },
];

for (const row of checkTable) {
  test(`checkHostKey ${row.name}`, () => {
    const r = checkHostKey(parseKnownHosts(row.lines.join('\n')), row.host, row.port, row.key);
    assert.is(r.status, row.status);
    if (row.line !== undefined) assert.is('entry' in r ? r.entry.line : undefined, row.line);
  });
}

test('matches lines hashed by ssh-keygen -H, with and without a port', () => {
  const dir = mkdtempSync('/tmp/ss-kh-');
  try {
    const f = join(dir, 'known_hosts');
    writeFileSync(f, `10.77.0.11 ssh-ed25519 ${b64(ED_A)}\n[10.77.0.12]:2222 ssh-ed25519 ${b64(ED_B)}\n`);
    const r = spawnSync('ssh-keygen', ['-H', '-f', f], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const hashed = parseKnownHosts(readFileSync(f, 'utf8'));
    assert.ok(hashed.every((e) => e.hosts.startsWith('|1|')), 'ssh-keygen hashed every line');
    assert.is(checkHostKey(hashed, '10.77.0.11', 22, ED_A).status, 'known');
    assert.is(checkHostKey(hashed, '10.77.0.12', 2222, ED_B).status, 'known');
    assert.is(checkHostKey(hashed, '10.77.0.12', 22, ED_B).status, 'unknown');
    assert.is(checkHostKey(hashed, '10.77.0.11', 22, ED_B).status, 'changed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writes lines that ssh-keygen -F finds, hashed or not, [addr]:port off port 22', () => {
  const dir = mkdtempSync('/tmp/ss-kh-');
  try {
    const f = join(dir, 'sub', 'known_hosts');
    addKnownHost(f, '10.77.0.11', 22, ED_A);
    addKnownHost(f, '127.0.0.1', 2222, ED_B);
    writeFileSync(f, knownHostsLine('10.77.0.13', 22, RSA_A, true) + '\n', { flag: 'a' });
    const text = readFileSync(f, 'utf8');
    assert.match(text, `10.77.0.11 ssh-ed25519 ${b64(ED_A)}\n`);
    assert.match(text, `[127.0.0.1]:2222 ssh-ed25519 ${b64(ED_B)}\n`);
    for (const name of ['10.77.0.11', '[127.0.0.1]:2222', '10.77.0.13']) {
      const r = spawnSync('ssh-keygen', ['-F', name, '-f', f], { encoding: 'utf8' });
      assert.is(r.status, 0, `ssh-keygen -F ${name}: ${r.stdout}${r.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('matches hashed lines whatever the case of the host name, as OpenSSH lowercases before hashing', () => {
  const dir = mkdtempSync('/tmp/ss-kh-');
  try {
    const f = join(dir, 'known_hosts');
    writeFileSync(f, knownHostsLine('WEB-02', 2222, ED_B, true) + '\n');
    const hashed = parseKnownHosts(readFileSync(f, 'utf8'));
    assert.is(checkHostKey(hashed, 'web-02', 2222, ED_B).status, 'known');
    assert.is(checkHostKey(hashed, 'WEB-02', 2222, ED_B).status, 'known');
    const r = spawnSync('ssh-keygen', ['-F', '[web-02]:2222', '-f', f], { encoding: 'utf8' });
    assert.is(r.status, 0, 'ssh-keygen finds the line written for WEB-02 under the name ssh uses');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('appends hashed lines to a file whose lines are all hashed, plain ones otherwise', () => {
  const dir = mkdtempSync('/tmp/ss-kh-');
  try {
    const f = join(dir, 'known_hosts');
    writeFileSync(f, `10.77.0.11 ssh-ed25519 ${b64(ED_A)}\n`);
    assert.is(spawnSync('ssh-keygen', ['-H', '-f', f]).status, 0);
    addKnownHost(f, '10.77.0.12', 2222, ED_B);
    const text = readFileSync(f, 'utf8');
    assert.not.match(text, '10.77.0.12', 'the new host is not named in a hashed file');
    assert.ok(parseKnownHosts(text).every((e) => e.hosts.startsWith('|1|')));
    assert.is(spawnSync('ssh-keygen', ['-F', '[10.77.0.12]:2222', '-f', f]).status, 0, 'ssh-keygen finds the hashed line');
    const plain = join(dir, 'plain');
    writeFileSync(plain, `# comment\n10.77.0.11 ssh-ed25519 ${b64(ED_A)}\n`);
    addKnownHost(plain, '10.77.0.12', 22, ED_B);
    assert.match(readFileSync(plain, 'utf8'), `\n10.77.0.12 ssh-ed25519 ${b64(ED_B)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('refuses a host string that would write other lines: newlines, spaces, commas, patterns', () => {
  const dir = mkdtempSync('/tmp/ss-kh-');
  try {
    const f = join(dir, 'known_hosts');
    writeFileSync(f, '');
    for (const bad of [`x\n* ssh-ed25519 ${b64(ED_B)}`, 'a b', 'a,b', '*', '!x', '', 'x\r', '[x]']) {
      assert.not.ok(isHostName(bad), JSON.stringify(bad));
      assert.throws(() => addKnownHost(f, bad, 22, ED_A), /not a host name/);
    }
    for (const good of ['10.77.0.11', 'web-01.example.org', 'fe80::1%eth0', 'under_score']) assert.ok(isHostName(good), good);
    assert.is(readFileSync(f, 'utf8'), '', 'nothing written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('prints fingerprints as ssh-keygen -l does', () => {
  const dir = mkdtempSync('/tmp/ss-kh-');
  try {
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
    const pub = readFileSync(join(dir, 'k.pub'), 'utf8').split(' ');
    const key = Buffer.from(pub[1]!, 'base64');
    const r = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'k.pub')], { encoding: 'utf8' });
    assert.is(fingerprint(key), r.stdout.split(' ')[1]);
    assert.is(blobType(key), 'ssh-ed25519');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readKnownHosts parses a file once while it is unchanged, and again once a line is added or it is gone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-kh-'));
  try {
    const f = join(dir, 'known_hosts');
    writeFileSync(f, `[10.77.0.11]:2222 ssh-ed25519 ${b64(ED_A)}\n`);
    const first = readKnownHosts([f]);
    assert.is(first.length, 1);
    assert.is(readKnownHosts([f])[0], first[0], 'the same parsed entry, not a new parse');
    addKnownHost(f, '10.77.0.12', 22, ED_B);
    const after = readKnownHosts([f]);
    assert.equal(after.map((e) => e.hosts), ['[10.77.0.11]:2222', '10.77.0.12']);
    assert.is(checkHostKey(after, '10.77.0.12', 22, ED_B).status, 'known');
    rmSync(f);
    assert.equal(readKnownHosts([f]), [], 'a removed file has no entries');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
