import { existsSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileOp, type FileArgs } from '../../../lib/ops/file.js';
import { idempotent, run, scratch, whats } from './local-run.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const NOBODY = 65534;

const idem = async (make: (dir: string) => FileArgs, prepare?: (dir: string) => void) => (await idempotent(fileOp, make, { baseDir: fixtures, prepare })).dir;

test('file with content, owner, group and mode: written once, then left alone', async () => {
  const dir = await idem((d) => ({ path: join(d, 'motd'), content: 'managed by shipshape\n', owner: 'nobody', group: 'nogroup', mode: 0o640 }));
  const st = statSync(join(dir, 'motd'));
  assert.is(readFileSync(join(dir, 'motd'), 'utf8'), 'managed by shipshape\n');
  assert.is(st.mode & 0o7777, 0o640);
  assert.is(st.uid, NOBODY);
  assert.is(st.gid, NOBODY);
});

test('file content changes replace the file and keep its owner and mode', async () => {
  const dir = scratch();
  const path = join(dir, 'conf');
  await run(fileOp, { path, content: 'a=1\n', owner: 'nobody', mode: '0600' });
  const r = await run(fileOp, { path, content: 'a=2\n' });
  assert.equal(whats(r), ['content']);
  assert.is(r.diff.changes[0]!.content!.before, 'a=1\n');
  const st = statSync(path);
  assert.is(readFileSync(path, 'utf8'), 'a=2\n');
  assert.is(st.mode & 0o7777, 0o600);
  assert.is(st.uid, NOBODY);
});

test('file from a local src', async () => {
  const dir = await idem((d) => ({ path: join(d, 'app.py'), src: 'code/app.py', mode: 0o644 }));
  assert.is(readFileSync(join(dir, 'app.py'), 'utf8'), readFileSync(join(fixtures, 'code/app.py'), 'utf8'));
});

test('file mode alone is fixed with chmod', async () => {
  const dir = await idem((d) => ({ path: join(d, 'x'), mode: 0o600 }), (d) => writeFileSync(join(d, 'x'), 'keep\n', { mode: 0o644 }));
  assert.is(statSync(join(dir, 'x')).mode & 0o7777, 0o600);
  assert.is(readFileSync(join(dir, 'x'), 'utf8'), 'keep\n');
});

test('directory with parents, owner and mode', async () => {
  const dir = await idem((d) => ({ path: join(d, 'a/b/c'), state: 'directory', owner: 'nobody', group: 'nogroup', mode: 0o750 }));
  const st = statSync(join(dir, 'a/b/c'));
  assert.ok(st.isDirectory());
  assert.is(st.mode & 0o7777, 0o750);
  assert.is(st.uid, NOBODY);
});

test('link to a target, and repointed', async () => {
  const dir = await idem((d) => ({ path: join(d, 'enabled.conf'), state: 'link', target: join(d, 'available.conf') }));
  assert.is(readlinkSync(join(dir, 'enabled.conf')), join(dir, 'available.conf'));
  const r = await run(fileOp, { path: join(dir, 'enabled.conf'), target: '/etc/hosts' });
  assert.ok(r.changed);
  assert.is(readlinkSync(join(dir, 'enabled.conf')), '/etc/hosts');
});

test('link with force replaces a directory', async () => {
  const dir = await idem((d) => ({ path: join(d, 'sites'), target: '/etc', force: true }), (d) => mkdirSync(join(d, 'sites')));
  assert.is(readlinkSync(join(dir, 'sites')), '/etc');
});

test('absent removes a file and a directory tree', async () => {
  const dir = await idem((d) => ({ path: join(d, 'old'), state: 'absent' }), (d) => { mkdirSync(join(d, 'old/deep'), { recursive: true }); writeFileSync(join(d, 'old/deep/f'), 'x'); });
  assert.not.ok(existsSync(join(dir, 'old')));
});

test('touch creates an empty file once and never rewrites it', async () => {
  const dir = await idem((d) => ({ path: join(d, 'stamp'), state: 'touch', mode: 0o644 }));
  assert.is(readFileSync(join(dir, 'stamp'), 'utf8'), '');
  writeFileSync(join(dir, 'stamp'), 'now with content');
  const r = await run(fileOp, { path: join(dir, 'stamp'), state: 'touch', mode: 0o644 });
  assert.not.ok(r.changed);
  assert.is(readFileSync(join(dir, 'stamp'), 'utf8'), 'now with content');
});

test('a path with spaces and quotes', async () => {
  const dir = await idem((d) => ({ path: join(d, "it's a \"file\" $(x)"), content: 'q\n' }));
  assert.is(readFileSync(join(dir, "it's a \"file\" $(x)"), 'utf8'), 'q\n');
});


test.run();
