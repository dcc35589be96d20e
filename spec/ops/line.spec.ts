import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { editLines, lineOp, type LineArgs } from '../../lib/ops/line.js';
import { opTable, probedFile } from '../support/op-harness.js';

const sshd = 'Port 22\n#PasswordAuthentication yes\nUsePAM yes\n';
// As the probe printed /tmp/fx/sshd_config on this machine (mode 600, nobody:nogroup).
const sshdProbed = probedFile('file 600 nobody nogroup 65534 65534', sshd);

opTable<LineArgs>(lineOp, [
  {
    name: 'replaces the line matching regexp and keeps mode and owner',
    args: { path: '/etc/ssh/sshd_config', regexp: '^#?PasswordAuthentication', line: 'PasswordAuthentication no' },
    probed: sshdProbed,
    expect: {
      probe: [`-le ${16 * 1024 * 1024} ]`],
      changes: [{ what: 'content', content: { path: '/etc/ssh/sshd_config', before: sshd, after: 'Port 22\nPasswordAuthentication no\nUsePAM yes\n' } }],
      actions: [{ kind: 'put', path: '/etc/ssh/sshd_config', data: 'Port 22\nPasswordAuthentication no\nUsePAM yes\n', mode: 0o600, owner: '65534', group: '65534' }],
    },
  },
  {
    name: 'does nothing when the line is already there',
    args: { path: '/etc/ssh/sshd_config', regexp: '^Port ', line: 'Port 22' },
    probed: sshdProbed,
    expect: { changes: [], noop: '/etc/ssh/sshd_config has the line' },
  },
  {
    name: 'appends a missing line at the end',
    args: { path: '/etc/hosts', line: '10.77.0.2 web-01' },
    probed: probedFile('file 644 root root 0 0', '127.0.0.1 localhost\n'),
    expect: { changes: [{ what: 'content' }], actions: [{ kind: 'put', data: '127.0.0.1 localhost\n10.77.0.2 web-01\n', mode: 0o644, owner: '0', group: '0' }] },
  },
  {
    name: 'creates the file when asked',
    args: { path: '/etc/app.env', line: 'MODE=prod', create: true, mode: 0o600, owner: 'www' },
    probed: probedFile('absent'),
    expect: { changes: [{ what: 'content', before: 'absent' }], actions: [{ kind: 'put', path: '/etc/app.env', data: 'MODE=prod\n', mode: 0o600, owner: 'www' }] },
  },
  {
    name: 'fails for a missing file without create',
    args: { path: '/etc/app.env', line: 'MODE=prod' },
    probed: probedFile('absent'),
    expect: { throws: /\/etc\/app.env does not exist/ },
  },
  {
    name: 'check mode reports a missing file instead of failing',
    args: { path: '/etc/app.env', line: 'MODE=prod' },
    check: true,
    probed: probedFile('absent'),
    expect: { changes: [{ what: 'line', before: '/etc/app.env missing', after: 'MODE=prod' }] },
  },
  {
    name: 'removes every matching line for absent',
    args: { path: '/etc/ssh/sshd_config', regexp: 'yes$', line: '', state: 'absent' },
    probed: sshdProbed,
    expect: { changes: [{ what: 'content' }], actions: [{ kind: 'put', data: 'Port 22\n', mode: 0o600 }] },
  },
  { name: 'does nothing for absent when no line matches', args: { path: '/etc/hosts', line: 'x', state: 'absent' }, probed: probedFile('file 644 root root 0 0', 'a\n'), expect: { changes: [], noop: 'no line of /etc/hosts matches' } },
  { name: 'does nothing for absent when the file is missing', args: { path: '/etc/none', line: 'x', state: 'absent' }, probed: probedFile('absent'), expect: { changes: [], noop: '/etc/none does not exist' } },
  {
    name: 'only chmods when the line is there but the mode is not',
    args: { path: '/etc/hosts', line: 'a', mode: 0o600 },
    probed: probedFile('file 644 root root 0 0', 'a\n'),
    expect: { changes: [{ what: 'mode', before: '0644', after: '0600' }], actions: [{ kind: 'exec', command: 'chmod 0600 -- /etc/hosts' }] },
  },
  {
    name: 'edits a latin-1 file byte for byte',
    args: { path: '/etc/legacy.conf', line: 'b=2' },
    probed: probedFile('file 644 root root 0 0', Buffer.from('caf\xe9=1\n', 'latin1')),
    expect: { changes: [{ what: 'content' }], actions: [{ kind: 'put', data: Buffer.from('caf\xe9=1\nb=2\n', 'latin1') }] },
  },
  { name: 'fails for a directory', args: { path: '/etc', line: 'x' }, probed: probedFile('directory 755 root root 0 0'), expect: { throws: /\/etc exists as a directory, not a file/ } },
  { name: 'rejects an invalid regexp', args: { path: '/x', line: 'a', regexp: '([' }, expect: { problems: [/^regexp "\(\[" is not a valid regular expression: /] } },
  { name: 'rejects a line with a newline', args: { path: '/x', line: 'a\nb' }, expect: { problems: ['line "a\\nb" must be one line (no newline)'] } },
  { name: 'rejects insertAfter with insertBefore', args: { path: '/x', line: 'a', insertAfter: 'EOF', insertBefore: 'BOF' }, expect: { problems: ['give insertAfter or insertBefore, not both'] } },
  { name: 'rejects a relative path', args: { path: 'x', line: 'a' }, expect: { problems: ['path "x" must be an absolute path'] } },
]);

const args = (o: Partial<LineArgs>): LineArgs => ({ path: '/x', line: 'new', ...o });

test('editLines inserts after the last line matching insertAfter', () => {
  assert.is(editLines('[a]\nx=1\n[a]\ny=2\n[b]\n', args({ line: 'z=3', insertAfter: '^\\[a\\]' })), '[a]\nx=1\n[a]\nz=3\ny=2\n[b]\n');
});

test('editLines inserts before the first line matching insertBefore, or at BOF', () => {
  assert.is(editLines('a\nmark\nmark\n', args({ insertBefore: '^mark' })), 'a\nnew\nmark\nmark\n');
  assert.is(editLines('a\n', args({ insertBefore: 'BOF' })), 'new\na\n');
});

test('editLines appends when the insert regexp matches nothing', () => {
  assert.is(editLines('a\n', args({ insertAfter: '^zzz' })), 'a\nnew\n');
});

test('editLines replaces only the last match of regexp', () => {
  assert.is(editLines('k=1\nk=2\n', args({ regexp: '^k=', line: 'k=3' })), 'k=1\nk=3\n');
});

test('editLines leaves the file alone when regexp misses but the exact line exists', () => {
  assert.is(editLines('other\nnew\n', args({ regexp: '^nomatch' })), undefined);
});

test('editLines adds a newline to a last line without one before appending', () => {
  assert.is(editLines('a', args({})), 'a\nnew\n');
});

test('editLines keeps CRLF lines and compares without the CR', () => {
  assert.is(editLines('new\r\nb\r\n', args({})), undefined);
});

test.run();
