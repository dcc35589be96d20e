import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Deferred } from '../../lib/engine/deferred.js';
import { executeActions } from '../../lib/engine/run-op.js';
import { aptOp } from '../../lib/ops/apt.js';
import { aptRepositoryOp, sourcesText, type AptRepositoryArgs } from '../../lib/ops/apt-repository.js';
import type { Transport } from '../../lib/transport/types.js';
import { opTable, probedFile, sections } from '../support/op-harness.js';

const UPDATE = 'DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=120 --error-on=any update && touch /var/lib/apt/lists';
const ARMORED = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZabc\n-----END PGP PUBLIC KEY BLOCK-----\n';
const BINARY = Buffer.from([0x98, 0x33, 0x04, 0x65, 0xa6]);
const repo: AptRepositoryArgs = { name: 'example', uris: 'https://example.org/debian', suites: 'bookworm', components: 'main', key: ARMORED };
const SOURCES = 'Types: deb\nURIs: https://example.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /etc/apt/keyrings/example.asc\n';
const file = (content?: string | Buffer) => (content === undefined ? probedFile('absent') : probedFile('file 644 root root 0 0', content));
const probed = (o: { sources?: string; asc?: string; gpg?: Buffer; keyrings?: boolean }) => sections(
  `::shipshape::sources\n${file(o.sources)}::shipshape::asc\n${file(o.asc)}::shipshape::gpg\n${file(o.gpg)}::shipshape::keyrings\n${o.keyrings === false ? 'no' : 'yes'}\n`,
);
const deferUpdate = { kind: 'defer' as const, key: 'apt-update' as const, command: UPDATE };

opTable<AptRepositoryArgs>(aptRepositoryOp, [
  {
    name: 'writes the key, then the sources file, and defers one apt-get update',
    args: repo,
    probed: probed({}),
    expect: {
      probe: ['/etc/apt/sources.list.d/example.sources', '/etc/apt/keyrings/example.asc', '/etc/apt/keyrings/example.gpg'],
      changes: [
        { what: 'key /etc/apt/keyrings/example.asc', before: 'absent', content: { path: '/etc/apt/keyrings/example.asc', before: '', after: ARMORED } },
        { what: 'sources /etc/apt/sources.list.d/example.sources', before: 'absent', content: { before: '', after: SOURCES } },
      ],
      actions: [
        { kind: 'put', path: '/etc/apt/keyrings/example.asc', data: ARMORED, mode: 0o644, owner: 'root', group: 'root' },
        { kind: 'put', path: '/etc/apt/sources.list.d/example.sources', data: SOURCES, mode: 0o644 },
        deferUpdate,
      ],
    },
  },
  {
    name: 'does nothing when both files are as given',
    args: repo,
    probed: probed({ sources: SOURCES, asc: ARMORED }),
    expect: { changes: [], noop: '/etc/apt/sources.list.d/example.sources and its key are as given' },
  },
  {
    name: 'creates /etc/apt/keyrings when the host lacks it',
    args: repo,
    probed: probed({ keyrings: false }),
    expect: { changes: [{ what: 'key /etc/apt/keyrings/example.asc' }, { what: 'sources /etc/apt/sources.list.d/example.sources' }], actions: [{ kind: 'exec', command: 'mkdir -p -m 0755 /etc/apt/keyrings' }, { kind: 'put' }, { kind: 'put' }, deferUpdate] },
  },
  {
    name: 'a changed suite rewrites only the sources file, shown for --diff',
    args: { ...repo, suites: 'trixie' },
    probed: probed({ sources: SOURCES, asc: ARMORED }),
    expect: {
      changes: [{ what: 'sources /etc/apt/sources.list.d/example.sources', content: { before: SOURCES, after: SOURCES.replace('bookworm', 'trixie') } }],
      actions: [{ kind: 'put', path: '/etc/apt/sources.list.d/example.sources' }, deferUpdate],
    },
  },
  {
    name: 'a binary key goes to .gpg, and the old armored one is removed first',
    args: { ...repo, key: BINARY },
    probed: probed({ sources: SOURCES, asc: ARMORED }),
    expect: {
      changes: [{ what: 'key /etc/apt/keyrings/example.gpg', before: 'absent' }, { what: '/etc/apt/keyrings/example.asc', before: 'file', after: 'absent' }, { what: 'sources /etc/apt/sources.list.d/example.sources' }],
      actions: [
        { kind: 'exec', command: 'rm -f -- /etc/apt/keyrings/example.asc' },
        { kind: 'put', path: '/etc/apt/keyrings/example.gpg', data: BINARY },
        { kind: 'put', path: '/etc/apt/sources.list.d/example.sources', data: SOURCES.replace('example.asc', 'example.gpg') },
        deferUpdate,
      ],
    },
  },
  {
    name: 'fixes the mode of a key file with the right content',
    args: repo,
    probed: sections(`::shipshape::sources\n${file(SOURCES)}::shipshape::asc\n${probedFile('file 600 root root 0 0', ARMORED)}::shipshape::gpg\n${file()}::shipshape::keyrings\nyes\n`),
    expect: { changes: [{ what: 'mode /etc/apt/keyrings/example.asc', before: '600', after: '644' }], actions: [{ kind: 'put', path: '/etc/apt/keyrings/example.asc', mode: 0o644 }, deferUpdate] },
  },
  {
    name: 'state absent removes the sources file and its key',
    args: { name: 'example', state: 'absent' } as AptRepositoryArgs,
    probed: probed({ sources: SOURCES, asc: ARMORED }),
    expect: {
      changes: [{ what: '/etc/apt/keyrings/example.asc', after: 'absent' }, { what: '/etc/apt/sources.list.d/example.sources', after: 'absent' }],
      actions: [{ kind: 'exec', command: 'rm -f -- /etc/apt/keyrings/example.asc /etc/apt/sources.list.d/example.sources' }, deferUpdate],
    },
  },
  {
    name: 'state absent does nothing when both are gone',
    args: { name: 'example', state: 'absent' } as AptRepositoryArgs,
    probed: probed({}),
    expect: { changes: [], noop: /are absent/ },
  },
  {
    name: 'a flat repository: an exact path without components, several URIs, architectures, deb-src',
    args: { name: 'local_repo', uris: ['http://10.77.0.1:8080/repo', 'file:/srv/repo'], suites: './', architectures: ['amd64', 'arm64'], source: true, lockTimeout: 30 },
    probed: probed({}),
    expect: {
      changes: [{ what: 'sources /etc/apt/sources.list.d/local_repo.sources' }],
      actions: [
        { kind: 'put', data: 'Types: deb deb-src\nURIs: http://10.77.0.1:8080/repo file:/srv/repo\nSuites: ./\nArchitectures: amd64 arm64\n' },
        { ...deferUpdate, command: UPDATE.replace('120', '30') },
      ],
    },
  },
  { name: 'rejects a name apt would ignore', args: { ...repo, name: 'my repo' }, expect: { problems: [/^name "my repo" is not a valid repository name/] } },
  { name: 'rejects a name with a slash', args: { ...repo, name: '../x' }, expect: { problems: [/^name "..\/x"/] } },
  { name: 'rejects an ftp URI', args: { ...repo, uris: 'ftp://example.org/debian' }, expect: { problems: ['uri "ftp://example.org/debian" must be http://, https:// or file: (not ftp:)'] } },
  { name: 'rejects a URI with a space', args: { ...repo, uris: ['https://example.org/a b'] }, expect: { problems: [/^uri "https:\/\/example.org\/a b" must be a URI without spaces/] } },
  { name: 'rejects something that is not a URI', args: { ...repo, uris: 'example.org/debian' }, expect: { problems: ['uri "example.org/debian" is not a valid URI'] } },
  { name: 'rejects no URIs', args: { ...repo, uris: [] }, expect: { problems: [/^uris is empty/] } },
  { name: 'rejects a suite with a space', args: { ...repo, suites: 'bookworm main' }, expect: { problems: [/^suite "bookworm main" is not valid/] } },
  { name: 'rejects a suite without components', args: { ...repo, components: undefined }, expect: { problems: [/^components is empty: suite "bookworm" needs at least one component/] } },
  { name: 'rejects components with an exact path', args: { ...repo, suites: 'stable/' }, expect: { problems: [/^components \["main"\] must be left out with the exact path stable\//] } },
  { name: 'rejects a bad component', args: { ...repo, components: ['main', 'non free'] }, expect: { problems: [/^component "non free" is not valid/] } },
  { name: 'rejects a bad architecture', args: { ...repo, architectures: 'AMD64' }, expect: { problems: [/^architecture "AMD64" is not valid/] } },
  { name: 'rejects a key string that is not ASCII-armored', args: { ...repo, key: 'mDMEZabc' }, expect: { problems: [/^key "mDMEZabc"\.\.\. is not an ASCII-armored key/] } },
  { name: 'rejects a Buffer that is no OpenPGP key', args: { ...repo, key: Buffer.from('hello') }, expect: { problems: [/^key is neither an ASCII-armored key nor a binary OpenPGP key/] } },
  { name: 'rejects an unknown state', args: { ...repo, state: 'gone' as never }, expect: { problems: ['state "gone" is not one of present, absent'] } },
  { name: 'accepts an ASCII-armored key as a Buffer', args: { ...repo, key: Buffer.from(ARMORED) }, expect: { problems: [] } },
]);

test('sourcesText leaves out what is not given', () => {
  assert.is(sourcesText({ name: 'x', uris: 'https://example.org/debian', suites: ['bookworm', 'bookworm-updates'], components: ['main', 'contrib'] }),
    'Types: deb\nURIs: https://example.org/debian\nSuites: bookworm bookworm-updates\nComponents: main contrib\n');
});

/** A transport that records commands and answers them with exit 0 (or `fail` for matching ones). */
function recorder(fail?: RegExp): { t: Transport; commands: string[] } {
  const commands: string[] = [];
  const t = {
    exec: async (command: string) => { commands.push(command); return { code: fail?.test(command) ? 100 : 0, stdout: '', stderr: fail?.test(command) ? 'E: The repository is not signed.\n' : '' }; },
    put: async (path: string) => { commands.push(`put ${path}`); },
    close: async () => undefined,
  } as unknown as Transport;
  return { t, commands };
}

test('two repositories then an apt install cost one apt-get update, run by the install', async () => {
  const { t, commands } = recorder();
  const d = new Deferred();
  const ctx = { host: 'web-01', task: 'aptRepository' };
  for (const name of ['one', 'two']) {
    const diff = aptRepositoryOp.diff({ ...repo, name }, { stdout: probed({}), code: 0 }, {} as never) as { changes: []; data: unknown };
    await executeActions(aptRepositoryOp.apply({ ...repo, name }, diff as never, {} as never), t, undefined, ctx, undefined, d);
  }
  assert.equal(d.keys, new Set(['apt-update']));
  // The apt task sees the pending update, so it updates before installing a package the old lists lack.
  const aptProbed = sections("::shipshape::dpkg\nrc=1\n::shipshape::policy\n");
  const diff = await aptOp.diff({ packages: ['hello'] }, { stdout: aptProbed, code: 0 }, { host: 'web-01', facts: {} as never, baseDir: '.', check: false, deferred: d.keys });
  assert.equal(diff.changes.map((c) => c.what), ['cache', 'package hello']);
  assert.is(diff.fails, undefined);
  await executeActions(aptOp.apply({ packages: ['hello'] }, diff, { deferred: d.keys } as never), t, undefined, ctx, undefined, d);
  assert.is(d.size, 0, 'the install\'s update settled the deferred one');
  assert.equal(commands.filter((c) => c.includes(' update ')), [UPDATE], 'one update, as strict as the repository asked');
});

test('a failing deferred apt-get update names the task that asked for it', async () => {
  const { t } = recorder(/ update /);
  const d = new Deferred();
  d.add('apt-update', UPDATE, { host: 'web-01', task: 'aptRepository example' }, { failure: 'apt-get update failed after a repository changed', fix: 'check the key' });
  try {
    await d.flush(undefined, t);
    assert.unreachable('should fail');
  } catch (e) {
    const err = e as import('../../lib/errors.js').ShipshapeError;
    assert.is(err.message, 'apt-get update failed after a repository changed (run once for aptRepository example)');
    assert.is(err.host, 'web-01');
    assert.match(err.explain(), 'E: The repository is not signed.');
    assert.match(err.explain(), 'check the key');
  }
  assert.is(d.size, 0, 'not retried at the end');
});

test('without a host\'s deferred list the update runs after the op\'s other actions', async () => {
  const { t, commands } = recorder();
  await executeActions([deferUpdate, { kind: 'put', path: '/x', data: 'x' }], t, undefined, { host: 'web-01' });
  assert.equal(commands, ['put /x', UPDATE]);
});

test.run();
