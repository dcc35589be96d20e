import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyOp, type CopyArgs } from '../../lib/ops/copy.js';
import { opTable, probedFile, sections, sha } from '../support/op-harness.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const read = (p: string) => readFileSync(join(fixtures, p), 'utf8');
const M = '::shipshape::';
const file = (where: 'at' | 'into', probe: string) => sections(`${M}copy-file\n${where}\n${probe}`);

// Printed by the directory probe on this machine for /tmp/cpx holding app.py (same),
// requirements.txt (same content, mode 600, owner nobody), run.sh (old content) and no static/.
const partialTree = sections(`${M}copy-dir\ndirectory 755 root root 0 0\n${M}stat\n` +
  'regular file|644|root|root|0|0|app.py\nregular file|600|nobody|root|65534|0|requirements.txt\nregular file|755|root|root|0|0|run.sh\n' +
  `${M}sums\n${sha(read('code/app.py'))}  app.py\n${sha(read('code/requirements.txt'))}  requirements.txt\n${sha('old\n')}  run.sh\n`);

const fullTreeText = `${M}copy-dir\ndirectory 755 root root 0 0\n${M}stat\n` +
  'regular file|644|root|root|0|0|app.py\nregular file|644|root|root|0|0|requirements.txt\nregular file|755|root|root|0|0|run.sh\n' +
  'directory|755|root|root|0|0|static\nregular file|644|root|root|0|0|static/site.css\n' +
  `${M}sums\n${sha(read('code/app.py'))}  app.py\n${sha(read('code/requirements.txt'))}  requirements.txt\n${sha(read('code/run.sh'))}  run.sh\n${sha(read('code/static/site.css'))}  static/site.css\n`;
const fullTree = sections(fullTreeText);

opTable<CopyArgs>(copyOp, [
  {
    name: 'uploads a file to a path that does not exist',
    args: { src: 'code/app.py', dest: '/opt/webapp/app.py', owner: 'vagrant', group: 'vagrant', mode: '0644' },
    probed: file('at', probedFile('absent')),
    expect: {
      probe: ['if [ -d /opt/webapp/app.py ]; then echo into;', 'sha256sum < /opt/webapp/app.py/app.py', 'sha256sum < /opt/webapp/app.py'],
      changes: [{ what: 'content', before: 'absent', content: { path: '/opt/webapp/app.py', before: '', after: read('code/app.py') } }],
      actions: [{ kind: 'put', path: '/opt/webapp/app.py', data: read('code/app.py'), mode: 0o644, owner: 'vagrant', group: 'vagrant' }],
    },
  },
  {
    name: 'puts a file into an existing directory under its own name, as the seed copies into /opt/webapp',
    args: { src: 'code/app.py', dest: '/opt/webapp' },
    probed: file('into', probedFile('absent')),
    expect: { changes: [{ what: 'content', content: { path: '/opt/webapp/app.py' } }], actions: [{ kind: 'put', path: '/opt/webapp/app.py', mode: 0o644 }] },
  },
  {
    name: 'treats a dest ending in a slash as a directory without asking the host',
    args: { src: 'code/app.py', dest: '/etc/supervisor/conf.d/' },
    probed: file('into', probedFile('absent')),
    expect: { probe: [/^echo ::shipshape::copy-file; \{ echo into; if \[ -L \/etc\/supervisor\/conf.d\/app.py \]/], actions: [{ kind: 'put', path: '/etc/supervisor/conf.d/app.py' }] },
  },
  {
    name: 'does nothing when the file has the same sha256, owner and mode',
    args: { src: 'code/app.py', dest: '/tmp/cpx', owner: 'root', mode: 0o644 },
    probed: file('into', probedFile('file 644 root root 0 0', read('code/app.py'))),
    expect: { changes: [], noop: '/tmp/cpx/app.py has the same content, owner and mode' },
  },
  {
    name: 'gives a new file 0755 when the local file is executable',
    args: { src: 'code/run.sh', dest: '/opt/webapp/run.sh' },
    probed: file('at', probedFile('absent')),
    expect: { actions: [{ kind: 'put', path: '/opt/webapp/run.sh', mode: 0o755 }], changes: [{ what: 'content' }] },
  },
  {
    name: 'keeps the mode of an existing file when no mode is given',
    args: { src: 'code/app.py', dest: '/opt/webapp/app.py' },
    probed: file('at', probedFile('file 600 vagrant vagrant 1000 1000', 'old\n')),
    expect: { changes: [{ what: 'content', before: `sha256:${sha('old\n').slice(0, 12)}` }], actions: [{ kind: 'put', mode: 0o600, owner: '1000', group: '1000' }] },
  },
  {
    name: 'chmods a file whose content is right but mode is not',
    args: { src: 'code/app.py', dest: '/opt/webapp/app.py', mode: 0o640 },
    probed: file('at', probedFile('file 644 root root 0 0', read('code/app.py'))),
    expect: { changes: [{ what: 'mode', before: '0644', after: '0640' }], actions: [{ kind: 'exec', command: 'chmod 0640 -- /opt/webapp/app.py' }] },
  },
  {
    name: 'mirrors a directory into a missing dest: directories first, then each file',
    args: { src: 'code', dest: '/opt/webapp', owner: 'vagrant', group: 'vagrant' },
    probed: sections(`${M}copy-dir\nabsent\n`),
    expect: {
      probe: ["stat -c '%F|%a|%U|%G|%u|%g|%n' -- app.py requirements.txt run.sh static static/site.css", 'sha256sum -- app.py requirements.txt run.sh static/site.css'],
      changes: [
        { what: 'state', before: 'absent', after: 'directory' },
        { what: 'content app.py', before: 'absent', content: { path: '/opt/webapp/app.py', before: '' } },
        { what: 'content requirements.txt', before: 'absent' },
        { what: 'content run.sh', before: 'absent' },
        { what: 'directory static', before: 'absent', after: 'directory' },
        { what: 'content static/site.css', before: 'absent' },
      ],
      actions: [
        { kind: 'exec', command: 'mkdir -p -m 0755 -- /opt/webapp /opt/webapp/static' },
        { kind: 'exec', command: 'chown -h vagrant:vagrant -- /opt/webapp /opt/webapp/static' },
        { kind: 'put', path: '/opt/webapp/app.py', mode: 0o644, owner: 'vagrant', group: 'vagrant' },
        { kind: 'put', path: '/opt/webapp/requirements.txt', mode: 0o644 },
        { kind: 'put', path: '/opt/webapp/run.sh', mode: 0o755 },
        { kind: 'put', path: '/opt/webapp/static/site.css', data: read('code/static/site.css'), mode: 0o644 },
      ],
    },
  },
  {
    name: 'uploads only the changed files of a directory and fixes attributes of the rest',
    args: { src: 'code', dest: '/tmp/cpx', owner: 'root', mode: 0o644, dirMode: '0750' },
    probed: partialTree,
    expect: {
      changes: [
        { what: 'mode', before: '0755', after: '0750' },
        { what: 'owner requirements.txt', before: 'nobody', after: 'root' },
        { what: 'mode requirements.txt', before: '0600', after: '0644' },
        { what: 'content run.sh', before: `sha256:${sha('old\n').slice(0, 12)}`, content: { path: '/tmp/cpx/run.sh', before: `(current content not shown: sha256:${sha('old\n').slice(0, 12)})\n` } },
        { what: 'directory static', before: 'absent' },
        { what: 'content static/site.css', before: 'absent' },
      ],
      actions: [
        { kind: 'exec', command: 'mkdir -p -m 0750 -- /tmp/cpx/static' },
        { kind: 'exec', command: 'chown -h root -- /tmp/cpx/static' },
        { kind: 'put', path: '/tmp/cpx/run.sh', mode: 0o644, owner: 'root', group: '0' },
        { kind: 'put', path: '/tmp/cpx/static/site.css', mode: 0o644, owner: 'root', group: undefined },
        { kind: 'exec', command: 'chmod 0750 -- /tmp/cpx' },
        { kind: 'exec', command: "{ if [ -L /tmp/cpx/requirements.txt ]; then echo '/tmp/cpx/requirements.txt is a symlink: refusing to follow it' >&2; exit 1; fi; chown -h root -- /tmp/cpx/requirements.txt; } && { if [ -L /tmp/cpx/requirements.txt ]; then echo '/tmp/cpx/requirements.txt is a symlink: refusing to follow it' >&2; exit 1; fi; chmod 0644 -- /tmp/cpx/requirements.txt; }" },
      ],
    },
  },
  {
    name: 'does nothing when every file of the directory is in place, leaving files only on the host alone',
    args: { src: 'code', dest: '/tmp/cpx' },
    probed: fullTree,
    expect: { changes: [], noop: /files only on the host are left alone/ },
  },
  {
    name: 'refuses to put a file where the host has a directory',
    args: { src: 'code', dest: '/tmp/cpx' },
    probed: sections(fullTreeText.replace('regular file|644|root|root|0|0|app.py', 'directory|755|root|root|0|0|app.py')),
    expect: { throws: /\/tmp\/cpx\/app.py exists as a directory, not a file/ },
  },
  {
    name: 'refuses to mirror into a dest that is a file',
    args: { src: 'code', dest: '/etc/motd' },
    probed: sections(`${M}copy-dir\nfile 644 root root 0 0\n`),
    expect: { throws: /\/etc\/motd exists as a file, not a directory/ },
  },
  // validation
  { name: 'rejects a missing local src', args: { src: 'code/nope.py', dest: '/x' }, baseDir: fixtures, expect: { problems: [/^src "code\/nope.py" does not exist \(looked in .*fixtures\/code\/nope.py\)$/] } },
  { name: 'rejects a relative dest', args: { src: 'code/app.py', dest: 'opt/app.py' }, expect: { problems: ['dest "opt/app.py" must be an absolute path'] } },
  { name: 'rejects a bad dirMode', args: { src: 'code', dest: '/x', dirMode: 'rwx' }, expect: { problems: [`dirMode "rwx" is not a valid mode (use an octal number like 0o755 or a string like '0755')`] } },
  { name: 'rejects a bad mode', args: { src: 'code/app.py', dest: '/x', mode: 0o17777 }, expect: { problems: [/^mode 8191 is not a valid mode/] } },
], { baseDir: fixtures });

test('the probe of a small file copy carries its checksum, so an unchanged file sends no content back; a secret copy does not', () => {
  const probe = (a: CopyArgs) => copyOp.probe(a, { baseDir: fixtures })!;
  const want = sha(read('code/app.py'));
  assert.match(probe({ src: 'code/app.py', dest: '/opt/app/app.py' }), `'${want}  -'`);
  assert.match(probe({ src: 'code/app.py', dest: '/opt/app/' }), `'${want}  -'`);
  assert.not.match(probe({ src: 'code/app.py', dest: '/opt/app/app.py', secret: true }), want);
});

test.run();
