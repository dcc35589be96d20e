import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { globRegExp, isExcluded, syncOp, tarArchive, type SyncArgs } from '../../lib/ops/sync.js';
import type { Action } from '../../lib/ops/types.js';
import { opTable, runCase, sections, sha } from '../support/op-harness.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const read = (p: string) => readFileSync(join(fixtures, 'code', p), 'utf8');
const M = '::shipshape::';
const FILES = ['app.py', 'requirements.txt', 'run.sh', 'static/site.css'];

/** What the probe prints on a host: dest's stat line, then `find`'s records and sha256sum's lines. */
function host(root: string, entries: [type: string, mode: string, rel: string, content?: string][] = [], owner = 'root|root|0|0'): string {
  const list = entries.map(([t, m, rel]) => `${t}|${m}|${owner}|${rel}\0`).join('');
  const sums = entries.filter(([t]) => t === 'f').map(([, , rel, c]) => `${sha(c ?? read(rel))}  ./${rel}\n`).join('');
  return sections(`${M}root\n${root}\n${root === 'absent' ? '' : `${M}list\n${list}\n${M}sums\n${sums}`}`);
}
const DIR = 'directory 755 root root 0 0';
const inPlace: [string, string, string, string?][] = [
  ['f', '644', 'app.py'], ['f', '644', 'requirements.txt'], ['f', '755', 'run.sh'], ['d', '755', 'static'], ['f', '644', 'static/site.css'],
];
const but = (rel: string, entry: [string, string, string, string?] | undefined) =>
  [...inPlace.filter((e) => e[2] !== rel), ...(entry ? [entry] : [])];

opTable<SyncArgs>(syncOp, [
  {
    name: 'mirrors a tree into a missing dest in one archive upload',
    args: { src: 'code', dest: '/srv/site/' },
    probed: host('absent'),
    expect: {
      probe: ["cd /srv/site; then echo ::shipshape::list; { find . -mindepth 1 -printf '%y|%m|%u|%g|%U|%G|%P\\0'", 'find . -mindepth 1 -type f -exec sha256sum -- {} +'],
      changes: [
        { what: 'state', before: 'absent', after: 'directory' },
        { what: '+ app.py', before: 'absent', content: { path: '/srv/site/app.py', before: '', after: read('app.py') } },
        { what: '+ requirements.txt' }, { what: '+ run.sh' }, { what: '+ static/', before: 'absent', after: 'directory' }, { what: '+ static/site.css' },
      ],
      actions: [{ kind: 'exec', shown: 'sync: extract a tar of 4 files into /srv/site', failure: 'sync into /srv/site failed' }],
    },
  },
  {
    name: 'does nothing when every file has the same sha256, and says files only on the host stay',
    args: { src: 'code', dest: '/srv/site' },
    probed: host(DIR, [...inPlace, ['f', '644', 'extra.txt', 'mine\n']]),
    expect: { changes: [], noop: '/srv/site holds every file of code with the same content, owner and mode (files only on the host are left alone)' },
  },
  {
    name: 'uploads a changed file with its current mode and removes a stale one with delete: true',
    args: { src: 'code', dest: '/srv/site', delete: true },
    probed: host(DIR, [...but('run.sh', ['f', '700', 'run.sh', 'old\n']), ['f', '644', 'old.txt', 'gone\n']]),
    expect: {
      changes: [
        { what: '~ run.sh', before: `sha256:${sha('old\n').slice(0, 12)}`, after: `sha256:${sha(read('run.sh')).slice(0, 12)}`, content: { path: '/srv/site/run.sh', after: read('run.sh') } },
        { what: '- old.txt', before: 'file', after: 'absent' },
      ],
      actions: [
        { kind: 'exec', command: 'rm -f -- /srv/site/old.txt' },
        { kind: 'put', path: '/srv/site/run.sh', data: read('run.sh'), mode: 0o700, owner: undefined, group: undefined },
      ],
    },
  },
  {
    name: 'removes a stale directory with its files, files before folders, deepest first',
    args: { src: 'code', dest: '/srv/site', delete: true },
    probed: host(DIR, [...inPlace, ['d', '755', 'old'], ['d', '755', 'old/deep'], ['f', '644', 'old/deep/x', 'x'], ['l', '777', 'old/link']]),
    expect: {
      changes: [{ what: '- old/', before: 'directory' }, { what: '- old/deep/' }, { what: '- old/deep/x', before: 'file' }, { what: '- old/link', before: 'link' }],
      actions: [{ kind: 'exec', command: 'rm -f -- /srv/site/old/deep/x /srv/site/old/link && rmdir -- /srv/site/old/deep /srv/site/old' }],
    },
  },
  {
    name: 'leaves excluded files on the host alone, and the directory that holds one',
    args: { src: 'code', dest: '/srv/site', delete: true, exclude: ['*.log', '/uploads/'] },
    probed: host(DIR, [...inPlace, ['d', '755', 'old'], ['f', '644', 'old/app.log', 'l'], ['f', '644', 'old/x', 'x'], ['d', '755', 'uploads'], ['f', '644', 'uploads/a.png', 'png']]),
    expect: {
      probe: ["find . -mindepth 1 \\( -name '*.log' \\) -prune -printf", "\\( -name '*.log' \\) -prune -o -type f -exec sha256sum"],
      changes: [{ what: '- old/x' }],
      actions: [{ kind: 'exec', command: 'rm -f -- /srv/site/old/x' }],
    },
  },
  {
    name: 'neither uploads nor compares excluded local files',
    args: { src: 'code', dest: '/srv/site', exclude: ['static/*.css', 'run.sh'] },
    probed: host(DIR, but('static/site.css', undefined).filter((e) => e[2] !== 'run.sh')),
    expect: { changes: [], noop: /holds every file of code/ },
  },
  {
    name: 'fixes owner and mode of files whose content is right, and dirMode of directories',
    args: { src: 'code', dest: '/srv/site', owner: 'www', mode: '0644', dirMode: 0o750 },
    probed: host(DIR, inPlace, 'www|root|33|0'),
    expect: {
      changes: [
        { what: 'owner', before: 'root', after: 'www' }, { what: 'mode', before: '0755', after: '0750' },
        { what: 'mode run.sh', before: '0755', after: '0644' }, { what: 'mode static/', before: '0755', after: '0750' },
      ],
      actions: [
        { kind: 'exec', command: 'chown www -- /srv/site && chmod 0750 -- /srv/site' },
        { kind: 'exec', command: "if [ -L /srv/site/run.sh ]; then echo '/srv/site/run.sh is a symlink: refusing to follow it' >&2; exit 1; fi; chmod 0644 -- /srv/site/run.sh" },
        { kind: 'exec', command: "if [ -L /srv/site/static ]; then echo '/srv/site/static is a symlink: refusing to follow it' >&2; exit 1; fi; chmod 0750 -- /srv/site/static" },
      ],
    },
  },
  {
    name: 'replaces a symlink on the host by the file src has there (the upload renames over it)',
    args: { src: 'code', dest: '/srv/site' },
    probed: host(DIR, but('app.py', ['l', '777', 'app.py'])),
    expect: { changes: [{ what: '~ app.py', before: 'link', content: { before: '' } }], actions: [{ kind: 'put', path: '/srv/site/app.py', mode: 0o644 }] },
  },
  {
    name: 'replaces a file on the host where src has a directory',
    args: { src: 'code', dest: '/srv/site', owner: 'www' },
    probed: host('directory 755 www root 33 0', but('static', ['f', '644', 'static', 'was a file']).filter((e) => e[2] !== 'static/site.css'), 'www|root|33|0'),
    expect: {
      changes: [{ what: '+ static/', before: 'file' }, { what: '+ static/site.css' }],
      actions: [
        { kind: 'exec', command: 'rm -f -- /srv/site/static' }, { kind: 'exec', command: 'mkdir -p -m 0755 -- /srv/site/static' },
        { kind: 'exec', command: 'chown -h www -- /srv/site/static' }, { kind: 'put', path: '/srv/site/static/site.css', owner: 'www' },
      ],
    },
  },
  {
    name: 'refuses to replace a directory on the host by a file without delete: true',
    args: { src: 'code', dest: '/srv/site' },
    probed: host(DIR, [...but('app.py', ['d', '755', 'app.py']), ['f', '644', 'app.py/x', 'x']]),
    expect: { throws: /\/srv\/site\/app.py is a directory on the host, where code has a file/ },
  },
  {
    name: 'with delete: true a directory in the way of a file goes, with what it holds',
    args: { src: 'code', dest: '/srv/site', delete: true },
    probed: host(DIR, [...but('app.py', ['d', '755', 'app.py']), ['f', '644', 'app.py/x', 'x']]),
    expect: {
      changes: [{ what: '~ app.py', before: 'directory' }, { what: '- app.py/x' }],
      actions: [{ kind: 'exec', command: 'rm -f -- /srv/site/app.py/x && rmdir -- /srv/site/app.py' }, { kind: 'put', path: '/srv/site/app.py' }],
    },
  },
  {
    name: 'refuses a dest that is a file',
    args: { src: 'code', dest: '/etc/motd' },
    probed: host('file 644 root root 0 0'),
    expect: { throws: /\/etc\/motd exists as a file, not a directory/ },
  },
  {
    name: 'check mode lists what would change and runs nothing',
    args: { src: 'code', dest: '/srv/site', delete: true },
    check: true,
    probed: host(DIR, [...but('app.py', ['f', '644', 'app.py', 'old\n']), ['f', '644', 'stale', 's']]),
    expect: { changes: [{ what: '~ app.py' }, { what: '- stale' }], actions: [] },
  },
  // validation
  { name: 'rejects a missing src', args: { src: 'nope', dest: '/srv' }, expect: { problems: [/^src "nope" does not exist \(looked in .*fixtures\/nope\)$/] } },
  { name: 'rejects a src that is a file', args: { src: 'code/app.py', dest: '/srv' }, expect: { problems: [/^src "code\/app.py" is not a directory .*copy uploads a file$/] } },
  { name: 'rejects a relative dest', args: { src: 'code', dest: 'srv' }, expect: { problems: ['dest "srv" must be an absolute path'] } },
  { name: 'rejects / as dest', args: { src: 'code', dest: '/', delete: true }, expect: { problems: ['dest "/" cannot be synced: name the directory to mirror into'] } },
  { name: 'rejects an exclude that climbs out of src', args: { src: 'code', dest: '/srv', exclude: ['../secret'] }, expect: { problems: [`exclude "../secret" must be a glob relative to src, like '*.tmp' or 'cache/'`] } },
  { name: 'rejects a bad dirMode and a decimal mode', args: { src: 'code', dest: '/srv', dirMode: 'rwx', mode: 644 }, expect: { problems: [/^mode 644 is a decimal number/, /^dirMode "rwx" is not a valid mode/] } },
  { name: 'rejects a bad owner', args: { src: 'code', dest: '/srv', owner: 'no body' }, expect: { problems: ['owner "no body" is not a valid user name'] } },
], { baseDir: fixtures });

test('globs: * and ? stay within a name, ** crosses folders, a name glob matches at any depth', () => {
  const cases: [string, string, boolean, boolean][] = [
    ['*.log', 'a/b/x.log', false, true], ['*.log', 'x.log.1', false, false], ['/x.log', 'a/x.log', false, false],
    ['cache/*', 'cache/a', false, true], ['cache/*', 'cache/a/b', false, true], ['cache/*', 'x/cache/a', false, false],
    ['**/tmp', 'a/b/tmp', true, true], ['a/**/z', 'a/z', false, true], ['a/**/z', 'a/b/c/z', false, true],
    ['build/', 'build', false, false], ['build/', 'build', true, true], ['build/', 'build/x', false, true],
    ['file?.txt', 'file1.txt', false, true], ['file?.txt', 'file/.txt', false, false], ['[!a]*', 'b', false, true], ['[!a]*', 'a', false, false],
    ['node_modules', 'x/node_modules/y/z.js', false, true], ['\\*', '*', false, true], ['\\*', 'x', false, false],
  ];
  for (const [glob, rel, dir, want] of cases) assert.is(isExcluded(rel, dir, [glob]), want, `${glob} on ${rel}${dir ? '/' : ''}`);
  assert.is(globRegExp('a.b+c').test('a.b+c'), true);
  assert.is(globRegExp('a.b').test('axb'), false);
});

test('the archive is a tar GNU tar reads: modes, long and non-ASCII names, content', () => {
  const long = `${'d'.repeat(120)}/é${'n'.repeat(60)}.txt`;
  const tar = tarArchive([{ name: 'f/a.txt', data: Buffer.from('a\n'), mode: 0o640 }, { name: `f/${long}`, data: Buffer.alloc(1000, 'x'), mode: 0o755, mtime: 1700000000 }]);
  const r = spawnSync('tar', ['-tvf', '-'], { input: tar, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /^-rw-r----- .* 2 .* f\/a\.txt$/);
  assert.match(lines[1]!, new RegExp(`^-rwxr-xr-x .* 1000 2023-11-1\\d .* f/${long}$`));
  const x = spawnSync('tar', ['-xOf', '-', 'f/a.txt'], { input: tar, encoding: 'utf8' });
  assert.is(x.stdout, 'a\n');
});

test('the archive upload is one exec whose stdin holds the files, lists and checksums', async () => {
  const { actions } = await runCase(syncOp, {
    name: 'archive', args: { src: 'code', dest: '/srv/site', owner: 'www', group: 'www', mode: 0o640 }, baseDir: fixtures, probed: host('absent'), expect: {},
  });
  const a = actions![0] as Extract<Action, { kind: 'exec' }>;
  assert.is(actions!.length, 1);
  for (const frag of ['tar -x -p --no-same-owner -f - -C "$s"', 'sha256sum -c --quiet --strict', 'chown -R www:www -- "$s/f"', 'mv -fT -- "$s/f/$p" "$p"', 'mkdir -p -m 0755 -- "$d"']) {
    assert.ok(a.command.includes(frag), `the script lacks ${frag}`);
  }
  const names = spawnSync('tar', ['-tvf', '-'], { input: a.stdin as Buffer, encoding: 'utf8' }).stdout;
  for (const f of FILES) assert.match(names, new RegExp(`^-rw-r----- .* f/${f.replace('.', '\\.')}$`, 'm'));
  const sums = spawnSync('tar', ['-xOf', '-', '.shipshape/sums'], { input: a.stdin as Buffer, encoding: 'utf8' }).stdout;
  assert.is(sums, FILES.map((f) => `${sha(read(f))}  ${f}\n`).join(''));
});

test.run();
