import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chained } from '../../lib/ops/attrs.js';
import { parseContentProbe, sha256 } from '../../lib/ops/content.js';
import { fileOp, type FileArgs } from '../../lib/ops/file.js';
import { secret } from '../../lib/secret.js';
import { opTable, probedFile, sha, statLink } from '../support/op-harness.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const appPy = readFileSync(join(fixtures, 'code/app.py'), 'utf8');
const short = (s: string) => `sha256:${sha(s).slice(0, 12)}`;

opTable<FileArgs>(fileOp, [
  {
    name: 'creates a missing file with its content and mode',
    args: { path: '/etc/motd', content: 'managed by shipshape\n', mode: 0o644 },
    probed: probedFile('absent'),
    expect: {
      probe: ["if [ -L /etc/motd ]", 'sha256sum < /etc/motd', 'base64 -w0 < /etc/motd'],
      changes: [{ what: 'content', before: 'absent', after: short('managed by shipshape\n'), content: { path: '/etc/motd', before: '', after: 'managed by shipshape\n', secret: false } }],
      actions: [{ kind: 'put', path: '/etc/motd', data: 'managed by shipshape\n', mode: 0o644, owner: undefined, group: undefined }],
    },
  },
  {
    name: 'does nothing when content, owner and mode are as wanted',
    args: { path: '/etc/motd', content: 'hello\n', mode: '0644', owner: 'root' },
    probed: probedFile('file 644 root root 0 0', 'hello\n'),
    expect: { changes: [], noop: 'content, owner and mode are as wanted', actions: [] },
  },
  {
    name: 'rewrites changed content keeping the current mode and owner (by id)',
    args: { path: '/etc/ssh/sshd_config', content: 'Port 2222\n' },
    probed: probedFile('file 600 nobody nogroup 65534 65534', 'Port 22\n'),
    expect: {
      changes: [{ what: 'content', before: short('Port 22\n'), after: short('Port 2222\n'), content: { path: '/etc/ssh/sshd_config', before: 'Port 22\n', after: 'Port 2222\n' } }],
      actions: [{ kind: 'put', path: '/etc/ssh/sshd_config', data: 'Port 2222\n', mode: 0o600, owner: '65534', group: '65534' }],
    },
  },
  {
    name: 'only chmods when just the mode differs',
    args: { path: '/etc/motd', content: 'hello\n', mode: 0o600 },
    probed: probedFile('file 644 root root 0 0', 'hello\n'),
    expect: { changes: [{ what: 'mode', before: '0644', after: '0600' }], actions: [{ kind: 'exec', command: 'chmod 0600 -- /etc/motd' }] },
  },
  {
    name: 'only chowns when owner and group differ',
    args: { path: '/srv/x', owner: 'nobody', group: 'nogroup' },
    probed: probedFile('file 644 root root 0 0', ''),
    expect: {
      changes: [{ what: 'owner', before: 'root', after: 'nobody' }, { what: 'group', before: 'root', after: 'nogroup' }],
      actions: [{ kind: 'exec', command: 'chown nobody:nogroup -- /srv/x' }],
    },
  },
  {
    name: 'compares a numeric owner with the uid',
    args: { path: '/srv/x', owner: '65534' },
    probed: probedFile('file 644 nobody nogroup 65534 65534', ''),
    expect: { changes: [], noop: /owner and mode/ },
  },
  {
    name: 'marks secret content so no diff shows it',
    args: { path: '/etc/app/token', content: secret('s3cr3t-token'), mode: 0o600 },
    probed: probedFile('absent'),
    expect: { changes: [{ what: 'content', content: { path: '/etc/app/token', before: '', after: 's3cr3t-token', secret: true } }], actions: [{ kind: 'put', mode: 0o600 }] },
  },
  {
    name: 'uploads a local src file relative to the deploy file',
    args: { path: '/opt/webapp/app.py', src: 'code/app.py', owner: 'vagrant', group: 'vagrant', mode: '0644' },
    baseDir: fixtures,
    probed: probedFile('absent'),
    expect: { changes: [{ what: 'content', before: 'absent' }], actions: [{ kind: 'put', path: '/opt/webapp/app.py', data: appPy, mode: 0o644, owner: 'vagrant', group: 'vagrant' }] },
  },
  {
    name: 'summarises binary content in the diff',
    args: { path: '/srv/blob', content: Buffer.from([0, 1, 2, 255]) },
    probed: probedFile('absent'),
    expect: { changes: [{ what: 'content', content: { path: '/srv/blob', before: '', after: `(binary content: 4 bytes, sha256:${sha(Buffer.from([0, 1, 2, 255])).slice(0, 12)})\n` } }], actions: [{ kind: 'put' }] },
  },
  {
    name: 'says the old content is not shown when the file is too large to inline',
    args: { path: '/var/big', content: 'small\n' },
    probed: `file 644 root root 0 0\n${sha('x'.repeat(70000))}\n\n`,
    expect: { changes: [{ what: 'content', content: { path: '/var/big', before: `(current content not shown: sha256:${sha('x'.repeat(70000)).slice(0, 12)})\n`, after: 'small\n' } }], actions: [{ kind: 'put', mode: 0o644 }] },
  },
  {
    name: 'creates an empty file when no content is given and it is missing',
    args: { path: '/var/log/app.log', mode: 0o640 },
    probed: probedFile('absent'),
    expect: { changes: [{ what: 'content', before: 'absent' }], actions: [{ kind: 'put', path: '/var/log/app.log', data: '', mode: 0o640 }] },
  },
  {
    name: 'touch leaves an existing file alone',
    args: { path: '/var/log/app.log', state: 'touch' },
    probed: probedFile('file 644 root root 0 0', 'log line\n'),
    expect: { changes: [], noop: 'file exists with the wanted owner and mode' },
  },
  {
    name: 'creates a directory with parents, then owner and mode',
    args: { path: '/opt/webapp', state: 'directory', owner: 'vagrant', group: 'vagrant', mode: 0o755 },
    probed: probedFile('absent'),
    expect: {
      changes: [{ what: 'state', before: 'absent', after: 'directory' }, { what: 'owner', after: 'vagrant' }, { what: 'group', after: 'vagrant' }, { what: 'mode', after: '0755' }],
      actions: [{ kind: 'exec', command: 'mkdir -p -- /opt/webapp && chown vagrant:vagrant -- /opt/webapp && chmod 0755 -- /opt/webapp' }],
    },
  },
  {
    name: 'does nothing for a directory that exists as wanted',
    args: { path: '/tmp/fx/dir', state: 'directory', owner: 'root', mode: 0o755 },
    probed: probedFile('directory 755 root root 0 0'),
    expect: { changes: [], noop: 'directory exists with the wanted owner and mode' },
  },
  {
    name: 'refuses to turn a file into a directory',
    args: { path: '/etc/motd', state: 'directory' },
    probed: probedFile('file 644 root root 0 0', 'hello\n'),
    expect: { throws: /exists as a file, not a directory/ },
  },
  {
    name: 'refuses to write content over a directory',
    args: { path: '/etc', content: 'x' },
    probed: probedFile('directory 755 root root 0 0'),
    expect: { throws: /\/etc exists as a directory, not a file/ },
  },
  {
    name: 'creates a symlink',
    args: { path: '/etc/nginx/sites-enabled/app-nginx.conf', state: 'link', target: '/etc/nginx/sites-available/app-nginx.conf' },
    probed: probedFile('absent'),
    expect: {
      changes: [{ what: 'link', before: 'absent', after: '/etc/nginx/sites-available/app-nginx.conf' }],
      actions: [{ kind: 'exec', command: 'ln -sfn -- /etc/nginx/sites-available/app-nginx.conf /etc/nginx/sites-enabled/app-nginx.conf' }],
    },
  },
  {
    name: 'does nothing for a link that already points at the target',
    args: { path: '/tmp/fx/link', target: '/tmp/fx/motd' },
    probed: probedFile(statLink('777 root root', '/tmp/fx/motd')),
    expect: { changes: [], noop: 'already links to /tmp/fx/motd' },
  },
  {
    name: 'repoints a link that points elsewhere',
    args: { path: '/tmp/fx/link', target: '/etc/hosts' },
    probed: probedFile(statLink('777 root root', '/tmp/fx/motd')),
    expect: { changes: [{ what: 'link', before: '/tmp/fx/motd', after: '/etc/hosts' }], actions: [{ kind: 'exec', command: 'ln -sfn -- /etc/hosts /tmp/fx/link' }] },
  },
  {
    name: 'refuses to replace a file by a link without force',
    args: { path: '/etc/motd', target: '/etc/issue' },
    probed: probedFile('file 644 root root 0 0', 'hello\n'),
    expect: { throws: /exists as a file, not a link/ },
  },
  {
    name: 'replaces a file by a link with force',
    args: { path: '/etc/motd', target: '/etc/issue', force: true },
    probed: probedFile('file 644 root root 0 0', 'hello\n'),
    expect: { changes: [{ what: 'link', before: 'file' }], actions: [{ kind: 'exec', command: '{ if [ ! -L /etc/motd ]; then rm -rf -- /etc/motd; fi; } && ln -sfn -- /etc/issue /etc/motd' }] },
  },
  {
    name: 'removes a present path',
    args: { path: "/srv/it's here", state: 'absent' },
    probed: probedFile('directory 755 root root 0 0'),
    expect: { probe: ["'/srv/it'\\''s here'"], changes: [{ what: 'state', before: 'directory', after: 'absent' }], actions: [{ kind: 'exec', command: "rm -rf -- '/srv/it'\\''s here'" }] },
  },
  {
    name: 'does nothing when the path is already absent',
    args: { path: '/srv/old', state: 'absent' },
    probed: probedFile('absent'),
    expect: { changes: [], noop: 'already absent' },
  },
  // validation
  { name: 'rejects an invalid mode', args: { path: '/etc/motd', mode: '0999' }, expect: { problems: [`mode "0999" is not a valid mode (use an octal number like 0o644 or a string like '0644')`] } },
  { name: 'rejects a relative path', args: { path: 'etc/motd' }, expect: { problems: ['path "etc/motd" must be an absolute path'] } },
  { name: 'rejects content together with src', args: { path: '/x', content: 'a', src: 'code/app.py' }, baseDir: fixtures, expect: { problems: ['give either content or src, not both'] } },
  { name: 'rejects a link without target', args: { path: '/x', state: 'link' }, expect: { problems: ["state 'link' needs a target"] } },
  { name: 'rejects a missing src file', args: { path: '/x', src: 'nope.txt' }, baseDir: fixtures, expect: { problems: [/^src "nope.txt" does not exist \(looked in .*fixtures\/nope.txt\)$/] } },
  { name: 'rejects an unknown state', args: { path: '/x', state: 'gone' as never }, expect: { problems: ['state "gone" is not one of file, directory, link, absent, touch'] } },
  { name: 'rejects a bad owner name', args: { path: '/x', owner: 'bad name' }, expect: { problems: ['owner "bad name" is not a valid user name'] } },
]);

test('the probe of a file with content sends the file back only when its checksum differs (never with a secret\'s checksum in the script)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-file-probe-'));
  try {
    const f = join(dir, 'app.conf');
    writeFileSync(f, 'port=5000\n');
    const run = (a: FileArgs) => parseContentProbe(execFileSync('/bin/sh', ['-c', fileOp.probe(a, { baseDir: dir })!], { encoding: 'utf8' }));
    const same = run({ path: f, content: 'port=5000\n' });
    assert.is(same.sha256, sha256('port=5000\n'));
    assert.is(same.content, undefined, 'an unchanged file sends no content');
    const probed = { stdout: execFileSync('/bin/sh', ['-c', fileOp.probe({ path: f, content: 'port=5000\n' }, { baseDir: dir })!], { encoding: 'utf8' }), code: 0 };
    const d = (await fileOp.diff({ path: f, content: 'port=5000\n' }, probed, { host: 'h', check: false, baseDir: dir } as never));
    assert.equal(d.changes.filter((c) => c.what === 'content'), [], 'the same checksum is no content change');
    const other = run({ path: f, content: 'port=6000\n' });
    assert.is(other.content?.toString(), 'port=5000\n', 'a changed file comes back, for --diff');
    const hidden = fileOp.probe({ path: f, content: secret('port=5000\n') }, { baseDir: dir })!;
    assert.not.ok(hidden.includes(sha256('port=5000\n')), 'no checksum of a secret in the script');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file kept as it is (a log made sure to exist) is probed by its stat alone: its content is never read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-file-probe-'));
  try {
    const log = join(dir, 'app.log');
    writeFileSync(log, 'x'.repeat(200_000));
    const script = fileOp.probe({ path: log, mode: 0o644 }, { baseDir: dir })!;
    assert.not.match(script, /sha256sum|base64 -w0 </);
    const out = execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
    assert.ok(out.length < 100, `the stat line only: ${JSON.stringify(out)}`);
    const d = await fileOp.diff({ path: log, mode: 0o644 }, { stdout: out, code: 0 }, { host: 'h', check: false, baseDir: dir } as never);
    assert.equal(d.changes, [], 'an existing file with its mode is no change');
    assert.equal((await fileOp.diff({ path: log, mode: 0o600 }, { stdout: out, code: 0 }, { host: 'h', check: false, baseDir: dir } as never)).changes.map((c) => c.what), ['mode']);
    // a small src: its checksum rides along, as for content
    writeFileSync(join(dir, 'motd'), 'hello\n');
    assert.match(fileOp.probe({ path: join(dir, 'x'), src: 'motd' }, { baseDir: dir })!, sha256('hello\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('chained commands (one round trip) stop at the first failure, with its exit code, also when a command exits itself', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-chain-'));
  const sh = (command: string) => {
    try {
      execFileSync('sh', ['-c', command], { stdio: 'pipe' });
      return 0;
    } catch (e) {
      return (e as { status: number }).status;
    }
  };
  try {
    const one = (cs: string[]) => {
      const a = chained(cs);
      assert.is(a.length, 1);
      return a[0]!.kind === 'exec' ? a[0]!.command : '';
    };
    assert.equal(chained([]), []);
    assert.is(one([`touch ${dir}/a`]), `touch ${dir}/a`);
    assert.is(sh(one([`touch ${dir}/a`, `touch ${dir}/b`])), 0);
    assert.is(sh(`test -f ${dir}/a && test -f ${dir}/b`), 0);
    assert.is(sh(one(['sh -c "exit 4"', `touch ${dir}/c`])), 4);
    assert.is(sh(`test -e ${dir}/c`), 1, 'a command after a failed one ran');
    assert.is(sh(one([`if [ -d ${dir} ]; then echo refusing >&2; exit 3; fi; touch ${dir}/d`, `touch ${dir}/e`])), 3);
    assert.is(sh(`test -e ${dir}/d || test -e ${dir}/e`), 1, 'a guard that exits did not stop the chain');
    assert.is(sh(one([`if [ ! -d ${dir}/x ]; then true; fi; false`, `touch ${dir}/f`])), 1, 'the last part of a compound command is its status');
    assert.is(sh(`test -e ${dir}/f`), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
