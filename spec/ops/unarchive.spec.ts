import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extractScript, markerPath, unarchiveOp, type UnarchiveArgs } from '../../lib/ops/unarchive.js';
import { assertShellSyntax, opTable, sections, sha } from '../support/op-harness.js';
import { run, whats } from './applied-twice/local-run.js';
import { tmpDir } from '../support/tmp.js';

// Local archives, made here: top/a.txt, top/sub/b.txt, top/.hidden in each format.
const tmp = tmpDir('ss-unarchive-');
const fx = tmp.dir;
mkdirSync(join(fx, 'src/top/sub'), { recursive: true });
writeFileSync(join(fx, 'src/top/a.txt'), 'a\n');
writeFileSync(join(fx, 'src/top/sub/b.txt'), 'b\n');
writeFileSync(join(fx, 'src/top/.hidden'), 'h\n');
const sh = (cmd: string) => execFileSync('/bin/sh', ['-c', cmd], { cwd: join(fx, 'src'), encoding: 'utf8' });
sh('tar -cf ../site.tar top && tar -czf ../site.tgz top && tar -cJf ../site.tar.xz top && tar --zstd -cf ../site.tar.zst top && zip -qr ../site.zip top');
const SUM = sha(readFileSync(join(fx, 'site.tgz')));
test.after(() => tmp.cleanup());

const M = '::shipshape::';
const probed = (o: { dest?: string; marker?: string; markerStat?: string; src?: string; missing?: string; creates?: string }) => sections(
  (o.creates !== undefined ? `${M}creates\n${o.creates}\n` : '') +
  `${M}dest\n${o.dest ?? 'absent'}\n${M}marker\n${o.marker ?? ''}${M}markerStat\n${o.markerStat ?? 'absent'}\n` +
  (o.src !== undefined ? `${M}src\n${o.src}\n` : '') + `${M}tools\n${o.missing ?? ''}`);

opTable<UnarchiveArgs>(unarchiveOp, [
  {
    name: 'uploads a local archive next to dest and extracts it when dest is missing',
    args: { src: 'site.tgz', dest: '/srv/site', stripComponents: 1, owner: 'www-data' },
    probed: probed({}),
    expect: {
      probe: [`cat -- ${markerPath({ src: 'site.tgz', dest: '/srv/site' })} 2>/dev/null`, 'for t in tar gzip; do command -v'],
      changes: [{ what: 'extract', before: 'absent', after: `sha256:${SUM.slice(0, 12)}` }],
      actions: [
        { kind: 'exec', command: 'mkdir -p -- /srv' },
        { kind: 'put', path: `/srv/.site.shipshape-archive-${SUM.slice(0, 12)}`, mode: 0o600 },
        { kind: 'exec', failure: 'extracting site.tgz into /srv/site failed on web-01' },
      ],
    },
  },
  {
    name: 'does nothing when the marker holds the archive\'s sha256',
    args: { src: 'site.tgz', dest: '/srv/site/', stripComponents: 1 },
    probed: probed({ dest: 'directory 755 root root 0 0', marker: `${SUM} strip=1\n`, markerStat: 'file 644 root root 0 0' }),
    expect: { changes: [], noop: `site.tgz (sha256:${SUM.slice(0, 12)}) is extracted in /srv/site/` },
  },
  {
    name: 'extracts again when the archive changed',
    args: { src: 'site.tgz', dest: '/srv/site' },
    probed: probed({ dest: 'directory 755 root root 0 0', marker: `${sha('old')} strip=0\n`, markerStat: 'file 644 root root 0 0' }),
    expect: { changes: [{ what: 'extract', before: `sha256:${sha('old').slice(0, 12)}`, after: `sha256:${SUM.slice(0, 12)}` }] },
  },
  {
    name: 'extracts again when stripComponents changed',
    args: { src: 'site.tgz', dest: '/srv/site', stripComponents: 1 },
    probed: probed({ dest: 'directory 755 root root 0 0', marker: `${SUM} strip=0\n`, markerStat: 'file 644 root root 0 0' }),
    expect: { changes: [{ what: 'extract' }] },
  },
  {
    name: 'extracts again when the owner differs',
    args: { src: 'site.tgz', dest: '/srv/site', owner: 'www-data' },
    probed: probed({ dest: 'directory 755 root root 0 0', marker: `${SUM} strip=0\n`, markerStat: 'file 644 root root 0 0' }),
    expect: { changes: [{ what: 'owner', before: 'root', after: 'www-data' }], actions: [{ kind: 'exec' }, { kind: 'put' }, { kind: 'exec' }] },
  },
  {
    name: 'skips when creates exists',
    args: { src: 'site.tgz', dest: '/srv/site', creates: '/srv/site/index.html' },
    probed: probed({ creates: 'present' }),
    expect: { probe: ['if [ -e /srv/site/index.html ]'], changes: [], noop: '/srv/site/index.html exists' },
  },
  {
    name: 'extracts a remote archive in place, reading its sha256 on the host',
    args: { src: '/opt/dl/site.tar.zst', dest: '/srv/site', remote: true },
    probed: probed({ src: SUM, missing: '' }),
    expect: {
      probe: ["sha256sum < /opt/dl/site.tar.zst | cut -d' ' -f1", 'for t in tar zstd; do'],
      changes: [{ what: 'extract', before: 'absent' }],
      actions: [{ kind: 'exec', failure: 'extracting /opt/dl/site.tar.zst into /srv/site failed on web-01' }],
    },
  },
  {
    name: 'check mode with a remote archive not there yet: would extract',
    args: { src: '/opt/dl/site.zip', dest: '/srv/site', remote: true },
    probed: probed({ src: 'absent' }),
    check: true,
    expect: { changes: [{ what: 'extract', after: '/opt/dl/site.zip' }], actions: [] },
  },
  {
    name: 'refuses a dest that is a file',
    args: { src: 'site.tgz', dest: '/srv/site' },
    probed: probed({ dest: 'file 644 root root 0 0' }),
    expect: { throws: /\/srv\/site exists as a file, not a directory/ },
  },
  { name: 'refuses a missing local src', args: { src: 'nope.tgz', dest: '/srv/x' }, expect: { problems: [/^src "nope.tgz" does not exist \(looked in .*nope.tgz; for a file on the host, add remote: true\)$/] } },
  { name: 'refuses an unknown extension', args: { src: '/opt/x.rar', dest: '/srv/x', remote: true }, expect: { problems: [/^src "\/opt\/x.rar" has no known archive extension/] } },
  { name: 'accepts an unknown extension with format', args: { src: '/opt/x.bin', dest: '/srv/x', remote: true, format: 'tar.gz' }, expect: { problems: [] } },
  { name: 'refuses an unknown format', args: { src: '/opt/x.bin', dest: '/srv/x', remote: true, format: 'rar' as never }, expect: { problems: ['format "rar" is not one of tar, tar.gz, tar.xz, tar.zst, zip'] } },
  { name: 'refuses a relative remote src', args: { src: 'x.tgz', dest: '/srv/x', remote: true }, expect: { problems: ['src "x.tgz" must be an absolute path on the host (remote: true)'] } },
  { name: 'refuses a relative dest', args: { src: 'site.tgz', dest: 'srv' }, expect: { problems: ['dest "srv" must be an absolute path'] } },
  { name: 'refuses / as dest', args: { src: 'site.tgz', dest: '/' }, expect: { problems: [/^dest "\/" must not be \//] } },
  { name: 'refuses a negative stripComponents', args: { src: 'site.tgz', dest: '/srv/x', stripComponents: -1 }, expect: { problems: ['stripComponents -1 must be a whole number from 0 to 64'] } },
  { name: 'refuses a bad owner', args: { src: 'site.tgz', dest: '/srv/x', owner: 'a b' }, expect: { problems: ['owner "a b" is not a valid user name'] } },
], { baseDir: fx });

test('unarchive: a missing tool fails naming the host, the tool and its package', async () => {
  const d = await unarchiveOp.diff({ src: 'site.tar.xz', dest: '/srv/x' }, { stdout: probed({ missing: 'xz\n' }), code: 0 }, { host: 'web-01', facts: {} as never, baseDir: fx, check: false });
  assert.is(d.fails, 'xz is not installed on web-01: needed to extract site.tar.xz (install xz-utils first, e.g. apt(["xz-utils"]))');
});

test('unarchive: the script is valid sh and quotes its values', () => {
  const s = extractScript({ src: "/opt/it's.zip", dest: "/srv/it's", remote: true, stripComponents: 2, owner: 'www' }, "/opt/it's.zip", SUM, 'web-01', false);
  assertShellSyntax(s, 'the script');
  assert.match(s, "src='/opt/it'\\''s.zip'");
  assert.match(s, 'n=2; while');
  assert.match(s, 'chown -R -h www -- "$t/x"');
});

// Real runs on this machine (local transport): each format, twice, then a changed archive.
for (const f of ['site.tar', 'site.tgz', 'site.tar.xz', 'site.tar.zst', 'site.zip']) {
  test(`unarchive ${f}: extracts with stripComponents, then changes nothing`, async () => {
    const dest = join(fx, `out-${f}`, 'site');
    const a: UnarchiveArgs = { src: f, dest, stripComponents: 1, owner: 'nobody' };
    const checked = await run(unarchiveOp, a, { baseDir: fx, check: true });
    assert.ok(checked.changed);
    assert.not.ok(existsSync(dest), 'check mode extracted nothing');
    assert.ok((await run(unarchiveOp, a, { baseDir: fx })).changed);
    const second = await run(unarchiveOp, a, { baseDir: fx });
    assert.not.ok(second.changed, JSON.stringify(whats(second)));
    assert.is(readFileSync(join(dest, 'sub/b.txt'), 'utf8'), 'b\n');
    assert.is(readFileSync(join(dest, '.hidden'), 'utf8'), 'h\n');
    assert.is(statSync(join(dest, 'a.txt')).uid, 65534);
    assert.equal(readdirSync(join(fx, `out-${f}`)), ['site'], 'no temp dir or upload left next to dest');
  });
}

test('unarchive: a changed archive is extracted again over what is there; other files stay', async () => {
  const dest = join(fx, 'changing');
  const src = join(fx, 'changing.tgz');
  sh(`tar -czf ${src} top`);
  assert.ok((await run(unarchiveOp, { src, dest }, { baseDir: fx })).changed);
  writeFileSync(join(dest, 'mine.txt'), 'mine\n');
  writeFileSync(join(fx, 'src/top/a.txt'), 'a2\n');
  sh(`tar -czf ${src} top`);
  writeFileSync(join(fx, 'src/top/a.txt'), 'a\n');
  const r = await run(unarchiveOp, { src, dest }, { baseDir: fx });
  assert.equal(whats(r), ['extract']);
  assert.is(readFileSync(join(dest, 'top/a.txt'), 'utf8'), 'a2\n');
  assert.is(readFileSync(join(dest, 'mine.txt'), 'utf8'), 'mine\n');
  assert.not.ok((await run(unarchiveOp, { src, dest }, { baseDir: fx })).changed);
});

test('unarchive: a broken archive leaves dest as it was', async () => {
  const dest = join(fx, 'broken-dest');
  mkdirSync(dest);
  writeFileSync(join(dest, 'keep.txt'), 'keep\n');
  writeFileSync(join(fx, 'broken.tgz'), 'not a tarball');
  let err: Error | undefined;
  try { await run(unarchiveOp, { src: 'broken.tgz', dest }, { baseDir: fx }); } catch (e) { err = e as Error; }
  assert.match(err?.message ?? '', 'extracting broken.tgz into');
  assert.equal(readdirSync(dest), ['keep.txt']);
  assert.equal(readdirSync(fx).filter((n) => n.includes('shipshape')), []);
});

test.run();
