// The batch prelude's one stat and one sha256sum give each probe exactly what its own commands
// would have printed, for every kind of path, and replace one command per task.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { batchScript } from '../../lib/engine/probe-batch.js';
import { copyOp } from '../../lib/ops/copy.js';
import { fileOp } from '../../lib/ops/file.js';
import { memoPrelude } from '../../lib/ops/probe-memo.js';
import { templateOp } from '../../lib/ops/template.js';
import { tmpDir } from '../support/tmp.js';

/** stat and sha256sum stand-ins on PATH that log each call, then run the real command. */
function countingPath(dir: string): { env: NodeJS.ProcessEnv; calls: () => string[]; args: () => string } {
  const bin = join(dir, 'bin');
  const log = join(dir, 'calls.log');
  mkdirSync(bin);
  writeFileSync(log, '');
  for (const cmd of ['stat', 'sha256sum']) {
    const real = execFileSync('/bin/sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim();
    writeFileSync(join(bin, cmd), `#!/bin/sh\nprintf '%s %s;\\n' ${cmd} "$(printf '%s' "$*" | tr '\\n' ' ')" >> '${log}'\nexec ${real} "$@"\n`);
    chmodSync(join(bin, cmd), 0o755);
  }
  return { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, calls: () => readFileSync(log, 'utf8').split(';\n').filter(Boolean).map((l) => l.split(' ')[0]!), args: () => readFileSync(log, 'utf8') };
}

test('with the prelude, every file, template and copy probe prints what it prints alone, for each kind of path', () => {
  const { dir, cleanup } = tmpDir();
  try {
    const d = join(dir, 'host');
    mkdirSync(d);
    writeFileSync(join(d, 'same.conf'), 'port=5000\n');
    writeFileSync(join(d, 'other.conf'), 'port=1\n');
    mkdirSync(join(d, 'folder'));
    symlinkSync('same.conf', join(d, 'link.conf'));
    execFileSync('mkfifo', [join(d, 'fifo')]);
    writeFileSync(join(d, 'a|b.conf'), 'bar\n');
    writeFileSync(join(d, 'two  spaces'), 'x\n');
    writeFileSync(join(d, 'new\nline'), 'y\n');
    writeFileSync(join(dir, 'app.py'), 'print(1)\n');
    const names = ['same.conf', 'other.conf', 'folder', 'link.conf', 'fifo', 'a|b.conf', 'two  spaces', 'new\nline', 'missing'];
    const tasks = [
      ...names.map((n) => ({ op: fileOp as never, args: { path: join(d, n), content: 'port=5000\n' } })),
      ...names.map((n) => ({ op: templateOp as never, args: { src: { inline: 'port={{port}}\n' }, dest: join(d, n) } })),
      { op: copyOp as never, args: { src: 'app.py', dest: join(d, 'folder') } },
      { op: copyOp as never, args: { src: 'app.py', dest: join(d, 'same.conf') } },
      { op: fileOp as never, args: { path: join(d, 'same.conf'), mode: 0o644 } },
    ] as { op: { probe(a: unknown, c: unknown): string; probePaths(a: unknown, c: unknown): { stat?: string[]; sum?: string[] } }; args: unknown }[];
    const ctx = { baseDir: dir, vars: { port: 5000 } };
    const probes = tasks.map((t, i) => ({ key: String(i), script: t.op.probe(t.args, ctx) }));
    const paths = tasks.map((t) => t.op.probePaths(t.args, ctx));
    const { env, calls, args } = countingPath(dir);
    const run = (prelude: string) => {
      const b = batchScript(probes, undefined, prelude);
      return b.parse(execFileSync('/bin/sh', ['-c', b.script], { encoding: 'utf8', env }));
    };
    const alone = run('');
    const aloneCalls = calls().length;
    const memo = run(memoPrelude({ stat: paths.flatMap((p) => p.stat ?? []), sum: paths.flatMap((p) => p.sum ?? []) }));
    const memoCalls = calls().slice(aloneCalls);
    assert.equal([...memo.keys()], [...alone.keys()]);
    for (const [k, v] of alone) assert.equal(memo.get(k), v, `probe ${k} (${JSON.stringify(tasks[Number(k)]!.args)})`);
    assert.ok(alone.get('0')!.stdout.startsWith('regular file'), 'the probes did read the files');
    // Alone: a stat per existing path and a sha256sum per regular file. With the prelude: one
    // of each, and a stat or sha256sum of its own only for the paths it cannot list (|, two
    // spaces, a newline). A link's stat and the size of a file that differs are as before.
    const log = args().slice(args().indexOf('stat -c %F %a %U %G %u %g|%n'));
    const full = log.split(';\n').filter((l) => l.startsWith('stat -c %F %a %U %G %u %g '));
    assert.equal(full.map((l) => l.slice(l.lastIndexOf('/') + 1)), ['a|b.conf', 'two  spaces', 'new line', 'a|b.conf', 'two  spaces', 'new line'], log);
    const lines = log.split(';\n');
    assert.is(lines.filter((l) => l.startsWith('stat -c %F %a %U %G %u %g|%n -- ')).length, 1, 'one stat in the prelude');
    assert.is(lines.filter((l) => l.startsWith('stat -c %a %U %G ')).length, 2, 'a link\'s stat, as before');
    assert.is(log.split(';\n').filter((l) => l === 'sha256sum ').length, 6, 'sha256sum of its own: the 3 unlistable files, for the file and the template task');
    assert.is(log.split(';\n').filter((l) => l.startsWith('sha256sum -- ')).length, 1, 'one sha256sum for the rest');
    assert.ok(aloneCalls >= memoCalls.length + 12, `${aloneCalls} calls alone, ${memoCalls.length} with the prelude`);
  } finally {
    cleanup();
  }
});

test('the prelude is empty without paths, and lists stop at their byte cap', () => {
  assert.is(memoPrelude({}), '');
  assert.is(memoPrelude({ stat: ['a\nb'], sum: ['x|y'] }), '', 'nothing listable');
  const many = Array.from({ length: 2000 }, (_, i) => `/srv/app/file-${i}.conf`);
  const p = memoPrelude({ stat: many, sum: many });
  assert.ok(p.length < 40 * 1024, `${p.length} bytes`);
  assert.match(p, '/srv/app/file-0.conf');
  assert.not.match(p, '/srv/app/file-1999.conf');
});

test.run();
