import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gitOp, type GitArgs } from '../../lib/ops/git.js';
import { opTable, runCase, sections } from '../support/op-harness.js';

const M = '::shipshape::';
const REPO = 'https://example.org/app.git';
const A = 'a'.repeat(40), B = 'b'.repeat(40), T = 'c'.repeat(40);

/** Probe output of a host with git: dest's stat line, then the sections given (readable form). */
function probed(dest: string, s: Record<string, string>, bin = '/usr/bin/git'): string {
  return sections(`${M}bin\n${bin}\n${M}dest\n${dest}\n` + Object.entries(s).map(([k, v]) => `${M}${k}\n${v}`).join(''));
}
const repoAt = (head: string, o: { branch?: string; url?: string; mods?: string; remote?: string } = {}) => ({
  head: `${head}\nrc=0\n`, branch: o.branch === undefined ? 'main\n' : o.branch, url: `${o.url ?? REPO}\n`, mods: o.mods ?? '',
  ...(o.remote !== undefined ? { remote: o.remote } : {}),
});
const DIR = 'directory 755 root root 0 0';
const mainAt = (sha: string) => `${sha}\trefs/heads/main\nrc=0\n`;

opTable<GitArgs>(gitOp, [
  {
    name: 'clones a branch into a missing dest',
    args: { repo: REPO, dest: '/opt/app', version: 'main' },
    probed: probed('absent', { remote: mainAt(A) }),
    expect: {
      probe: ["gr ls-remote --symref -- https://example.org/app.git main 'main^{}'", 'g -C "$d" rev-parse --verify -q HEAD', 'status --porcelain --untracked-files=no'],
      changes: [{ what: 'clone branch main at aaaaaaa', before: 'absent', after: 'aaaaaaa' }],
      actions: [{ kind: 'exec', failure: 'git clone of https://example.org/app.git into /opt/app failed' }],
    },
  },
  {
    name: "clones the remote's HEAD as its default branch when no version is given",
    args: { repo: REPO, dest: '/opt/app' },
    probed: probed(DIR, { entries: '', remote: `ref: refs/heads/trunk\tHEAD\n${A}\tHEAD\nrc=0\n` }),
    expect: { probe: ['ls-remote --symref -- https://example.org/app.git HEAD'], changes: [{ what: 'clone branch trunk at aaaaaaa', after: 'aaaaaaa' }] },
  },
  {
    name: 'does nothing when the tree is at the branch tip',
    args: { repo: REPO, dest: '/opt/app/', version: 'main' },
    probed: probed(DIR, repoAt(A, { remote: mainAt(A) })),
    expect: { changes: [], noop: '/opt/app is at branch main (aaaaaaa)' },
  },
  {
    name: 'updates a branch and reports old → new',
    args: { repo: REPO, dest: '/opt/app', version: 'main' },
    probed: probed(DIR, repoAt(A, { remote: mainAt(B) })),
    expect: { changes: [{ what: 'commit aaaaaaa → bbbbbbb', before: 'aaaaaaa', after: 'bbbbbbb' }], actions: [{ kind: 'exec', shown: `git update ${REPO} /opt/app (bbbbbbb)` }] },
  },
  {
    name: 'puts a detached tree at the branch tip back on the branch',
    args: { repo: REPO, dest: '/opt/app', version: 'main' },
    probed: probed(DIR, repoAt(A, { branch: '', remote: mainAt(A) })),
    expect: { changes: [{ what: 'branch (detached) → main', before: '(detached)', after: 'main' }] },
  },
  {
    name: 'an annotated tag is compared by the commit it points to',
    args: { repo: REPO, dest: '/opt/app', version: 'v1.0' },
    probed: probed(DIR, repoAt(A, { branch: '', remote: `${T}\trefs/tags/v1.0\n${A}\trefs/tags/v1.0^{}\nrc=0\n` })),
    expect: { probe: ["'v1.0^{}'"], changes: [], noop: '/opt/app is at tag v1.0 (aaaaaaa)' },
  },
  {
    name: 'a branch wins over a tag of the same name',
    args: { repo: REPO, dest: '/opt/app', version: 'release' },
    probed: probed(DIR, repoAt(A, { branch: 'release\n', remote: `${B}\trefs/tags/release\n${A}\trefs/heads/release\nrc=0\n` })),
    expect: { changes: [] },
  },
  {
    name: 'a full commit needs no ls-remote',
    args: { repo: REPO, dest: '/opt/app', version: B },
    probed: probed(DIR, repoAt(A, { branch: '' })),
    expect: { probe: [/^(?![\s\S]*ls-remote)/], changes: [{ what: 'commit aaaaaaa → bbbbbbb' }] },
  },
  {
    name: 'an abbreviated commit the tree knows is compared locally',
    args: { repo: REPO, dest: '/opt/app', version: 'aaaaaaa' },
    probed: probed(DIR, { ...repoAt(A, { branch: '', remote: 'rc=0\n' }), local: `${A}\n` }),
    expect: { probe: ["rev-parse --verify -q 'aaaaaaa^{commit}'"], changes: [], noop: '/opt/app is at commit aaaaaaa (aaaaaaa)' },
  },
  {
    name: 'an abbreviated commit the tree does not know yet is fetched',
    args: { repo: REPO, dest: '/opt/app', version: 'bbbbbbb' },
    probed: probed(DIR, { ...repoAt(A, { branch: '', remote: 'rc=0\n' }), local: '' }),
    expect: { changes: [{ what: 'commit aaaaaaa → bbbbbbb', after: 'bbbbbbb' }] },
  },
  {
    name: 'points origin at a changed repo URL',
    args: { repo: REPO, dest: '/opt/app', version: 'main' },
    probed: probed(DIR, repoAt(A, { url: 'https://example.org/old.git', remote: mainAt(A) })),
    expect: { changes: [{ what: 'remote', before: 'https://example.org/old.git', after: REPO }] },
  },
  {
    name: 'leaves local modifications alone when the tree is already at the commit',
    args: { repo: REPO, dest: '/opt/app', version: 'main' },
    probed: probed(DIR, repoAt(A, { mods: ' M app.py\n', remote: mainAt(A) })),
    expect: { changes: [], noop: '/opt/app is at branch main (aaaaaaa) (local modifications left alone: 1 file)' },
  },
  {
    name: 'force: true discards local modifications',
    args: { repo: REPO, dest: '/opt/app', version: 'main', force: true },
    probed: probed(DIR, repoAt(A, { mods: ' M app.py\n M b\n', remote: mainAt(A) })),
    expect: { changes: [{ what: 'local modifications', before: '2 files', after: 'discarded' }] },
  },
  {
    name: 'runs git as the owner, and chowns a tree that belongs to someone else',
    args: { repo: REPO, dest: '/opt/app', version: 'main', owner: 'www', group: 'www' },
    probed: probed(DIR, repoAt(A, { remote: mainAt(A) })),
    expect: {
      probe: ['sudo -n -H -u www -- "$@"', '! id -u www >/dev/null 2>&1'],
      changes: [{ what: 'owner', before: 'root', after: 'www' }, { what: 'group', before: 'root', after: 'www' }],
    },
  },
  {
    name: 'passes keyFile to ssh through GIT_SSH_COMMAND, quoted',
    args: { repo: 'git@example.org:app.git', dest: '/opt/app', keyFile: "/root/.ssh/deploy key" },
    probed: probed('absent', { remote: `ref: refs/heads/main\tHEAD\n${A}\tHEAD\nrc=0\n` }),
    expect: { probe: ["'GIT_SSH_COMMAND=ssh -i '\\''/root/.ssh/deploy key'\\'' -o IdentitiesOnly=yes -o BatchMode=yes'"], changes: [{ what: 'clone branch main at aaaaaaa' }] },
  },
  { name: 'says when git is missing on the host', args: { repo: REPO, dest: '/opt/app' }, probed: probed('absent', {}, ''), expect: { throws: /^git is not installed on web-01: the git op needs it$/ } },
  {
    name: 'names the repo and the reason when ls-remote fails',
    args: { repo: REPO, dest: '/opt/app', version: 'main' },
    probed: probed('absent', { remote: "fatal: unable to access 'https://example.org/app.git/': Could not resolve host: example.org\nrc=128\n" }),
    expect: { throws: /^git ls-remote https:\/\/example.org\/app.git failed on web-01: fatal: unable to access .*Could not resolve host/ },
  },
  { name: 'says when the version is not on the remote', args: { repo: REPO, dest: '/opt/app', version: 'nope' }, probed: probed('absent', { remote: 'rc=0\n' }), expect: { throws: /^version nope is not a branch or tag of https:\/\/example.org\/app.git$/ } },
  {
    name: 'refuses to clone into a directory that holds other files',
    args: { repo: REPO, dest: '/opt/app', version: 'main' },
    probed: probed(DIR, { entries: 'index.html\nstatic\n', remote: mainAt(A) }),
    expect: { throws: /^\/opt\/app exists and is not a git work tree: it holds index.html, static$/ },
  },
  {
    name: 'explains dubious ownership and how to fix it',
    args: { repo: REPO, dest: '/opt/app', version: 'main' },
    probed: probed('directory 755 www www 33 33', { head: "fatal: detected dubious ownership in repository at '/opt/app'\nrc=128\n", remote: mainAt(A) }),
    expect: { throws: /^\/opt\/app belongs to www, and git refuses to work in a tree another user owns/ },
  },
  // validation
  { name: 'rejects a relative dest', args: { repo: REPO, dest: 'opt/app' }, expect: { problems: ['dest "opt/app" must be an absolute path'] } },
  { name: 'rejects a repo that looks like an option', args: { repo: '--upload-pack=x', dest: '/opt/app' }, expect: { problems: ['repo "--upload-pack=x" must be a repository URL or path, like https://example.org/app.git'] } },
  { name: 'rejects a version git would not accept', args: { repo: REPO, dest: '/opt/app', version: 'a..b' }, expect: { problems: ['version "a..b" is not a branch, tag or commit name git accepts'] } },
  { name: 'rejects a version that looks like an option', args: { repo: REPO, dest: '/opt/app', version: '-x' }, expect: { problems: ['version "-x" is not a branch, tag or commit name git accepts'] } },
  { name: 'rejects depth 0', args: { repo: REPO, dest: '/opt/app', depth: 0 }, expect: { problems: ['depth 0 must be a whole number of commits, 1 or more'] } },
  { name: 'rejects depth with an abbreviated commit', args: { repo: REPO, dest: '/opt/app', depth: 1, version: 'abc1234' }, expect: { problems: [/^version "abc1234" with depth: a shallow clone needs/] } },
  { name: 'rejects a relative keyFile', args: { repo: REPO, dest: '/opt/app', keyFile: 'id_ed25519' }, expect: { problems: ['keyFile "id_ed25519" must be an absolute path'] } },
]);

const script = async (args: GitArgs, out: string) => {
  const { actions } = await runCase(gitOp, { name: 'x', args, probed: out, expect: {} });
  assert.is(actions?.length, 1);
  return (actions![0] as { command: string }).command;
};

test('git: the clone script clones as asked: branch and depth, commit detached, owner first', async () => {
  const c = await script({ repo: REPO, dest: '/opt/app', version: 'main', depth: 1, owner: 'www' }, probed('absent', { remote: mainAt(A) }));
  assert.ok(c.includes('mkdir -p -- "$d"\nchown www -- "$d"\ng clone -q --depth 1 --branch main -- https://example.org/app.git "$d"'), c);
  assert.ok(c.includes('chown -R www -- "$d"'), c);
  const d = await script({ repo: REPO, dest: '/opt/app', version: B }, probed('absent', {}));
  assert.ok(d.includes(`g clone -q --no-checkout -- ${REPO} "$d"\ng -C "$d" cat-file -e '${B}^{commit}' 2>/dev/null || g -C "$d" fetch -q origin ${B} || g -C "$d" fetch -q --tags origin\ng -C "$d" checkout -q --detach ${B}`), d);
});

test('git: the update script fetches the one ref and checks out the resolved commit', async () => {
  const c = await script({ repo: REPO, dest: '/opt/app', version: 'main' }, probed(DIR, repoAt(A, { remote: mainAt(B) })));
  assert.ok(c.includes(`g -C "$d" fetch -q origin +refs/heads/main:refs/remotes/origin/main\ng -C "$d" checkout -q -B main ${B}`), c);
  const t = await script({ repo: REPO, dest: '/opt/app', version: 'v2', force: true }, probed(DIR, repoAt(A, { remote: `${B}\trefs/tags/v2\nrc=0\n` })));
  assert.ok(t.includes(`g -C "$d" fetch -q origin +refs/tags/v2:refs/tags/v2\ng -C "$d" checkout -q --force --detach ${B}\ng -C "$d" reset -q --hard`), t);
});

test('git: an update over local modifications fails clearly unless force: true', async () => {
  const { diff } = await runCase(gitOp, { name: 'x', args: { repo: REPO, dest: '/opt/app', version: 'main' }, check: true, probed: probed(DIR, repoAt(A, { mods: ' M app.py\n', remote: mainAt(B) })), expect: {} });
  assert.is(diff?.fails, '/opt/app has local modifications (app.py): commit or discard them on web-01, or pass force: true to discard them');
});

test('git: check mode on a host without git says it cannot know yet', async () => {
  const { diff } = await runCase(gitOp, { name: 'x', args: { repo: REPO, dest: '/opt/app' }, check: true, probed: probed('absent', {}, ''), expect: {} });
  assert.match(diff?.uncertain ?? '', /^git is not installed on web-01: the git op needs it/);
  assert.is(diff?.changes.length, 1);
});

test.run();
