// Probe output a user on the host controls (a symlink's target, a requirements file) must be
// read as data, never as markers: real files under a temp dir, on the local transport, through
// the engine's batched probe and through a probe run on its own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject } from '../../lib/engine/deploy.js';
import type { EngineEvent } from '../../lib/report/events.js';
import { fileOp } from '../../lib/ops/file.js';
import { pipOp } from '../../lib/ops/pip.js';
import { run, scratch } from './applied-twice/local-run.js';

type TaskEnd = Extract<EngineEvent, { type: 'task-end' }>;

/** Runs a project on the local transport; the task-end events. */
async function deployLocal(p: ReturnType<typeof createProject>, argv: string[] = []): Promise<TaskEnd[]> {
  const events: EngineEvent[] = [];
  await deployProject(p, { argv, keepExitCode: true, reporter: (e) => events.push(e) });
  return events.filter((e): e is TaskEnd => e.type === 'task-end');
}

// Text that would pass for probe structure if it were printed raw: a newline and a stat line
// (what parseStat read as the whole output), section markers, and batch markers.
const FORGED = '\nfile 644 root root 0 0\n::shipshape::stat\nfile 644 root root 0 0\n::shipshape:000000000000:end:0::0\n::shipshape:000000000000:begin:1::\n';

test('a symlink whose target holds newlines and forged markers is seen as linking there, and relinked', async () => {
  const dir = scratch();
  const want = join(dir, 'real');
  const link = join(dir, 'link');
  symlinkSync(want + FORGED, link);

  // Batched (the engine's first probe of the host), in check mode.
  const p = createProject();
  p.host('local', { transport: 'local' }).file(link, { state: 'link', target: want });
  const [check] = await deployLocal(p, ['--check']);
  assert.is(check!.result.status, 'changed', `check: ${JSON.stringify(check!.result)}`);
  assert.equal(check!.result.changes.map((c) => [c.what, c.before, c.after]), [['link', want + FORGED, want]]);

  // Probed on its own, then applied: the link is repointed, and the second run is a no-op.
  const first = await run(fileOp, { path: link, state: 'link', target: want });
  assert.ok(first.changed);
  assert.is(readlinkSync(link), want);
  const second = await run(fileOp, { path: link, state: 'link', target: want });
  assert.is(second.changed, false);
});

/** A venv whose "pip list" prints flask 1.0, and a requirements file with a stamp that matches it. */
function fakeVenv(dir: string, requirements: string): { venv: string; req: string } {
  const venv = join(dir, 'venv');
  mkdirSync(join(venv, 'bin'), { recursive: true });
  writeFileSync(join(venv, 'bin/python'), '#!/bin/sh\necho flask==1.0\n');
  chmodSync(join(venv, 'bin/python'), 0o755);
  const req = join(dir, 'requirements.txt');
  writeFileSync(req, requirements);
  const sum = createHash('sha256').update(requirements).digest('hex');
  writeFileSync(join(venv, '.shipshape-requirements.sha256'), `${sum}  ${req}\n`);
  return { venv, req };
}

test('a requirements file holding section and batch markers cannot pose as the installed packages', async () => {
  const dir = scratch();
  // The file says flask>=3 and then forges a "pip list" section claiming flask 3.1 is installed.
  const { venv, req } = fakeVenv(dir, `flask>=3\n::shipshape::pip\nflask==3.1\nrc=0\n::shipshape::stamp\n${'0'.repeat(64)}\n${FORGED}`);
  // Its lines are requirements like any other: flask 1.0 meets neither flask>=3 nor flask==3.1.
  const expected = [['requirements', `not met: flask>=3, flask==3.1, ${'0'.repeat(64)}`, req]];

  const p = createProject();
  p.host('local', { transport: 'local' }).pip({ venv, requirements: req });
  const [batched] = await deployLocal(p, ['--check']);
  assert.is(batched!.result.status, 'changed', `batched: ${JSON.stringify(batched!.result)}`);
  assert.equal(batched!.result.changes.map((c) => [c.what, c.before, c.after]), expected);

  const alone = await run(pipOp, { venv, requirements: req }, { check: true });
  assert.equal(alone.diff.changes.map((c) => [c.what, c.before, c.after]), expected);
});

test('the same requirements file without forged text is judged by its real content', async () => {
  const dir = scratch();
  const { venv, req } = fakeVenv(dir, 'flask>=1\n');
  const alone = await run(pipOp, { venv, requirements: req }, { check: true });
  assert.equal(alone.diff.changes, []);
  assert.is(alone.diff.noop, 'every requirement is satisfied');
});

test.run();
