import { cpSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyOp } from '../../../lib/ops/copy.js';
import { templateOp } from '../../../lib/ops/template.js';
import { snapshot } from '../../support/tmp.js';
import { idempotent, localFacts, run, scratch, whats } from './local-run.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const read = (p: string) => readFileSync(p, 'utf8');

test('copy of a file into an existing directory, as the seed does', async () => {
  const { dir } = await idempotent(copyOp, (d) => ({ src: 'code/app.py', dest: d, owner: 'nobody', group: 'nogroup', mode: '0644' }), { baseDir: fixtures });
  const st = statSync(join(dir, 'app.py'));
  assert.is(read(join(dir, 'app.py')), read(join(fixtures, 'code/app.py')));
  assert.is(st.mode & 0o7777, 0o644);
  assert.is(st.uid, 65534);
});

test('copy of an executable file keeps it executable', async () => {
  const { dir } = await idempotent(copyOp, (d) => ({ src: 'code/run.sh', dest: join(d, 'run') }), { baseDir: fixtures });
  assert.is(statSync(join(dir, 'run')).mode & 0o7777, 0o755);
});

test('copy of a directory mirrors it, then uploads only what changed and leaves extra files alone', async () => {
  const { dir } = await idempotent(copyOp, (d) => ({ src: 'code', dest: join(d, 'webapp'), owner: 'nobody', dirMode: 0o750 }), { baseDir: fixtures });
  const dest = join(dir, 'webapp');
  for (const f of ['app.py', 'requirements.txt', 'run.sh', 'static/site.css']) assert.is(read(join(dest, f)), read(join(fixtures, 'code', f)), f);
  assert.is(statSync(join(dest, 'static')).mode & 0o7777, 0o750);
  assert.is(statSync(join(dest, 'static/site.css')).uid, 65534);
  assert.is(statSync(join(dest, 'run.sh')).mode & 0o7777, 0o755);

  writeFileSync(join(dest, 'app.py'), 'tampered\n');
  writeFileSync(join(dest, 'only-on-host.txt'), 'mine\n');
  const r = await run(copyOp, { src: 'code', dest, owner: 'nobody', dirMode: 0o750 }, { baseDir: fixtures });
  assert.equal(whats(r), ['content app.py']);
  assert.is(read(join(dest, 'app.py')), read(join(fixtures, 'code/app.py')));
  assert.is(read(join(dest, 'only-on-host.txt')), 'mine\n');
  assert.not.ok((await run(copyOp, { src: 'code', dest, owner: 'nobody', dirMode: 0o750 }, { baseDir: fixtures })).changed);
});

test('copy of a directory picks up a new local file', async () => {
  const src = scratch();
  cpSync(join(fixtures, 'code'), src, { recursive: true });
  const dest = join(scratch(), 'out');
  assert.ok((await run(copyOp, { src, dest })).changed);
  mkdirSync(join(src, 'new/deeper'), { recursive: true });
  writeFileSync(join(src, 'new/deeper/x.txt'), 'x\n');
  const r = await run(copyOp, { src, dest });
  assert.equal(whats(r), ['directory new', 'directory new/deeper', 'content new/deeper/x.txt']);
  assert.is(read(join(dest, 'new/deeper/x.txt')), 'x\n');
  assert.not.ok((await run(copyOp, { src, dest })).changed);
});

test('check mode of a directory copy over an existing tree changes nothing', async () => {
  const dest = join(scratch(), 'out');
  await run(copyOp, { src: 'code', dest }, { baseDir: fixtures });
  writeFileSync(join(dest, 'app.py'), 'tampered\n');
  const before = snapshot(dest);
  const r = await run(copyOp, { src: 'code', dest }, { baseDir: fixtures, check: true });
  assert.equal(whats(r), ['content app.py']);
  assert.is(snapshot(dest), before);
});

test('template rendered with vars, host vars and facts', async () => {
  const vars = { port: 5000, workers: 3, users: [{ name: 'ann', email: 'ann@example.org' }], debug: false };
  const { dir } = await idempotent(templateOp, (d) => ({ src: 'templates/app.conf.mustache', dest: join(d, 'app.conf'), vars, mode: 0o600, owner: 'nobody' }), { baseDir: fixtures });
  assert.is(read(join(dir, 'app.conf')), `# ${localFacts.hostname} (debian 12)\nbind = '0.0.0.0:5000'\nworkers = 3\nuser ann <ann@example.org>\nloglevel = 'info'\n`);
  assert.is(statSync(join(dir, 'app.conf')).mode & 0o7777, 0o600);
  assert.is(statSync(join(dir, 'app.conf')).uid, 65534);
  const r = await run(templateOp, { src: 'templates/app.conf.mustache', dest: join(dir, 'app.conf'), vars: { ...vars, port: 5001 } }, { baseDir: fixtures });
  assert.equal(whats(r), ['content']);
  assert.match(r.diff.changes[0]!.content!.before, "'0.0.0.0:5000'");
  assert.is(statSync(join(dir, 'app.conf')).mode & 0o7777, 0o600, 'a rewrite keeps the mode');
});

test('template from inline text with a host variable', async () => {
  const { dir } = await idempotent(templateOp, (d) => ({ src: { inline: '{{app}} <&> {{facts.user}}\n' }, dest: join(d, 'x') }));
  assert.is(read(join(dir, 'x')), 'webapp <&> root\n');
});

test('a directory copy never follows a symlink planted inside its dest: links are replaced, files outside stay as they were', async () => {
  const dir = scratch();
  const outside = join(dir, 'outside');
  mkdirSync(outside);
  // Same content as the source files, so only owner and mode would differ through the links.
  writeFileSync(join(outside, 'app.py'), read(join(fixtures, 'code/app.py')));
  writeFileSync(join(outside, 'site.css'), read(join(fixtures, 'code/static/site.css')));
  for (const f of ['app.py', 'site.css']) statSync(join(outside, f)) && (await import('node:fs')).chmodSync(join(outside, f), 0o600);
  const dest = join(dir, 'webapp');
  mkdirSync(join(dest, 'static'), { recursive: true });
  symlinkSync(join(outside, 'app.py'), join(dest, 'app.py'));
  symlinkSync(join(outside, 'site.css'), join(dest, 'static/site.css'));
  const before = snapshot(outside);
  const r = await run(copyOp, { src: 'code', dest, owner: 'nobody', mode: 0o644 }, { baseDir: fixtures });
  assert.ok(r.changed);
  assert.is(snapshot(outside), before, 'nothing outside dest was changed through the links');
  for (const f of ['app.py', 'static/site.css']) {
    assert.ok(lstatSync(join(dest, f)).isFile(), `${f} is now a regular file, not the planted link`);
    assert.is(statSync(join(dest, f)).uid, 65534);
    assert.is(statSync(join(dest, f)).mode & 0o7777, 0o644);
  }
  const again = await run(copyOp, { src: 'code', dest, owner: 'nobody', mode: 0o644 }, { baseDir: fixtures });
  assert.not.ok(again.changed, 'a second run changes nothing');
});

test('a directory copy refuses a symlink planted where a source folder goes', async () => {
  const dir = scratch();
  const outside = join(dir, 'outside');
  mkdirSync(outside);
  const dest = join(dir, 'webapp');
  mkdirSync(dest);
  symlinkSync(outside, join(dest, 'static'));
  const before = snapshot(outside);
  let err: Error | undefined;
  try { await run(copyOp, { src: 'code', dest, owner: 'nobody' }, { baseDir: fixtures }); } catch (e) { err = e as Error; }
  assert.match(err?.message ?? '', 'static exists as a link, not a directory');
  assert.is(snapshot(outside), before);
});

test.run();
