// retries, delay and until on any task: run on this machine with the local transport.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject, type DeployOptions } from '../../lib/engine/deploy.js';
import { retryPolicy } from '../../lib/engine/retry.js';
import type { TaskAttempt } from '../../lib/ops/types.js';
import { buildPlan } from '../../lib/plan/build.js';
import type { EngineEvent } from '../../lib/report/events.js';
import { plainReporter } from '../../lib/report/plain.js';
import { tmpDir } from '../support/tmp.js';

const local = { transport: 'local' as const };
type End = Extract<EngineEvent, { type: 'task-end' }>;
type Retry = Extract<EngineEvent, { type: 'task-retry' }>;

async function run(p: ReturnType<typeof createProject>, o: DeployOptions = {}, onEvent?: (e: EngineEvent) => void) {
  const events: EngineEvent[] = [];
  let text = '';
  const plain = plainReporter({ write: (s) => { text += s; } });
  const result = await deployProject(p, { argv: [], keepExitCode: true, reporter: (e) => { events.push(e); plain(e); onEvent?.(e); }, ...o });
  const ends = events.filter((e): e is End => e.type === 'task-end');
  const retries = events.filter((e): e is Retry => e.type === 'task-retry');
  return { result, events, ends, retries, text };
}

/** Adds one to the number in `file` and prints it. */
const bump = (file: string) => `n=$(cat ${file} 2>/dev/null || echo 0); n=$((n + 1)); echo $n > ${file}; echo $n`;

test('a task that fails twice succeeds on its third attempt, retried after the delay', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const count = join(dir, 'count');
    const p = createProject();
    p.host('box', local).shell(`${bump(count)}; [ $n -ge 3 ] || { echo "only $n" >&2; exit 1; }`, { name: 'flaky', retries: 5, delay: 0.05 });
    const t0 = performance.now();
    const r = await run(p);
    const elapsed = performance.now() - t0;
    assert.is(r.result.exitCode, 0, r.text);
    assert.is(readFileSync(count, 'utf8'), '3\n');
    assert.equal(r.retries.map((e) => [e.attempt, e.attempts, e.delayMs]), [[2, 6, 50], [3, 6, 50]]);
    assert.match(r.retries[0]!.reason, 'command failed');
    assert.is(r.ends.length, 1);
    assert.is(r.ends[0]!.result.status, 'changed');
    assert.is(r.ends[0]!.result.attempts, 3);
    assert.is(r.ends[0]!.result.stdout, '3\n');
    assert.ok(elapsed >= 2 * 50, `two delays of 50 ms passed (${elapsed} ms)`);
    // Events come in order: start, retry, retry, end.
    assert.equal(r.events.filter((e) => e.type.startsWith('task-')).map((e) => e.type), ['task-start', 'task-retry', 'task-retry', 'task-end']);
    assert.match(r.text, 'box | flaky | retrying (2/6) in 0.05 s: ');
    assert.match(r.text, 'box | flaky | retrying (3/6) in 0.05 s: ');
    assert.match(r.text, 'box | flaky | changed');
    assert.match(r.text, '| 3 attempts');
  } finally { cleanup(); }
});

test('when the retries run out the task fails naming the host, the task, the attempts and the last result', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const count = join(dir, 'count');
    const p = createProject();
    p.host('box', local)
      .shell(`${bump(count)} >/dev/null; echo "not ready ($n)" >&2; exit 7`, { name: 'never', retries: 2, delay: 0 })
      .shell(`touch ${join(dir, 'later')}`);
    const r = await run(p);
    assert.is(r.result.exitCode, 2);
    assert.is(readFileSync(count, 'utf8'), '3\n', '1 attempt + 2 retries');
    assert.is(r.retries.length, 2);
    const [never, later] = r.ends;
    assert.is(never!.result.status, 'failed');
    assert.is(never!.result.attempts, 3);
    const err = never!.result.error!;
    assert.match(err.message, /^failed after 3 attempts: /);
    assert.is(err.host, 'box');
    assert.is(err.task, 'never');
    assert.is(err.exitCode, 7);
    const text = err.explain();
    assert.match(text, 'host:    box');
    assert.match(text, 'task:    never');
    assert.match(text, 'exit:    7');
    assert.match(text, 'not ready (3)', 'the last attempt\'s stderr');
    assert.is(later!.result.status, 'skipped');
    assert.not.ok(existsSync(join(dir, 'later')));
  } finally { cleanup(); }
});

test('retries: 0 is no retry: the error is the command\'s own', async () => {
  const p = createProject();
  p.host('box', local).shell('exit 3', { retries: 0 });
  const r = await run(p);
  assert.is(r.retries.length, 0);
  assert.is(r.ends[0]!.result.attempts, 1);
  assert.not.match(r.ends[0]!.result.error!.message, 'attempt');
  assert.is(r.ends[0]!.result.error!.exitCode, 3);
});

test('until repeats a task until the predicate holds on its result', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const count = join(dir, 'count');
    const seen: TaskAttempt[] = [];
    const p = createProject();
    p.host('box', local).shell(bump(count), {
      retries: 10, delay: 0,
      until: (res) => { seen.push(res); return res.stdout.trim() === '4'; },
    });
    const r = await run(p);
    assert.is(r.result.exitCode, 0, r.text);
    assert.equal(seen.map((s) => [s.attempt, s.status, s.changed, s.stdout, s.exitCode]), [
      [1, 'changed', true, '1\n', 0], [2, 'changed', true, '2\n', 0], [3, 'changed', true, '3\n', 0], [4, 'changed', true, '4\n', 0],
    ]);
    assert.is(r.ends[0]!.result.attempts, 4);
    assert.match(r.retries[0]!.reason, 'until was false (changed, exit 0, stdout "1")');
  } finally { cleanup(); }
});

test('until without retries tries 1 + 3 times (Ansible\'s default), then fails with the last result', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const count = join(dir, 'count');
    const p = createProject();
    p.host('box', local).shell(bump(count), { name: 'count up', delay: 0, until: (res) => res.stdout.includes('99') });
    const r = await run(p);
    assert.is(r.result.exitCode, 2);
    assert.is(readFileSync(count, 'utf8'), '4\n');
    const err = r.ends[0]!.result.error!;
    assert.is(err.message, 'until was still false after 4 attempts (last result: changed, exit 0, stdout "4")');
    assert.is(err.host, 'box');
    assert.is(err.task, 'count up');
    assert.is(r.ends[0]!.result.attempts, 4);
  } finally { cleanup(); }
});

test('until sees failed attempts too, and true on one ends the task with its failure', async () => {
  const seen: TaskAttempt[] = [];
  const p = createProject();
  p.host('box', local).shell('echo gone >&2; exit 5', { retries: 5, delay: 0, until: (res) => { seen.push(res); return res.exitCode === 5; } });
  const r = await run(p);
  assert.is(r.retries.length, 0);
  assert.is(seen.length, 1);
  assert.is(seen[0]!.status, 'failed');
  assert.is(seen[0]!.stderr.trim(), 'gone');
  assert.ok(seen[0]!.error);
  assert.is(r.ends[0]!.result.status, 'failed');
  assert.is(r.ends[0]!.result.error!.exitCode, 5);
});

test('until that throws fails the task with what it threw', async () => {
  const p = createProject();
  p.host('box', local).shell('true', { until: () => { throw new Error('boom'); } });
  const r = await run(p);
  assert.is(r.ends[0]!.result.status, 'failed');
  assert.match(r.ends[0]!.result.error!.message, 'until threw on attempt 1: boom');
});

test('each attempt probes again: what a failed attempt left done is not done twice, and the task counts as changed', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const made = join(dir, 'made');
    const runs = join(dir, 'runs');
    const p = createProject();
    // Creates its file, then fails: the second attempt's probe sees the file, nothing to do.
    p.host('box', local)
      .shell(`${bump(runs)}; touch ${made}; exit 1`, { creates: made, retries: 2, delay: 0, notify: 'h' })
      .handler('h', (h) => h.shell(`touch ${join(dir, 'handled')}`));
    const r = await run(p);
    assert.is(r.result.exitCode, 0, r.text);
    assert.is(readFileSync(runs, 'utf8'), '1\n');
    const first = r.ends[0]!.result;
    assert.is(first.status, 'changed');
    assert.is(first.attempts, 2);
    assert.equal(first.changes, [{ what: 'applied in part by attempt 1, which failed' }]);
    assert.ok(existsSync(join(dir, 'handled')), 'the change notified the handler');
  } finally { cleanup(); }
});

test('an interrupt stops the wait between attempts at once', async () => {
  const ac = new AbortController();
  const p = createProject();
  p.host('box', local).shell('exit 1', { retries: 3, delay: 60 });
  const t0 = performance.now();
  const r = await run(p, { signal: ac.signal }, (e) => { if (e.type === 'task-retry') setTimeout(() => ac.abort(), 20); });
  assert.ok(performance.now() - t0 < 30_000, 'did not wait out the delay');
  assert.is(r.retries.length, 1);
  assert.is(r.ends[0]!.result.status, 'aborted');
});

test('check mode checks once: no retries, until is not asked', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    let asked = 0;
    const p = createProject();
    p.host('box', local).shell(`touch ${join(dir, 'x')}`, { retries: 3, delay: 0, until: () => { asked++; return false; } });
    const r = await run(p, { argv: ['--check'] });
    assert.is(r.result.exitCode, 0, r.text);
    assert.is(r.retries.length, 0);
    assert.is(asked, 0);
    assert.is(r.ends[0]!.result.status, 'changed');
    assert.is(r.ends[0]!.result.unknown, true);
    assert.not.ok(existsSync(join(dir, 'x')));
  } finally { cleanup(); }
});

test('a task without retries or until has no attempts in its result', async () => {
  const p = createProject();
  p.host('box', local).shell('true');
  const r = await run(p);
  assert.is(r.ends[0]!.result.attempts, undefined);
  assert.is(retryPolicy({}), undefined);
  assert.equal(retryPolicy({ retries: 2 }), { attempts: 3, delayMs: 5000, until: undefined });
});

test('bad retries, delay and until are plan problems naming the host, the task and the value', async () => {
  const p = createProject();
  const h = p.host('box', local);
  h.shell('true', { name: 'a', retries: -1 });
  h.shell('true', { name: 'b', retries: 'x' as never });
  h.shell('true', { name: 'c', retries: 1.5 });
  h.shell('true', { name: 'd', delay: -2 });
  h.shell('true', { name: 'e', delay: '5' as never });
  h.shell('true', { name: 'f', until: 'ok' as never });
  const { problems } = buildPlan(p);
  assert.equal(problems.map((q) => [q.host, q.task, q.message]), [
    ['box', 'a', 'retries -1 must be a whole number of retries, 0 or more'],
    ['box', 'b', 'retries "x" must be a whole number of retries, 0 or more'],
    ['box', 'c', 'retries 1.5 must be a whole number of retries, 0 or more'],
    ['box', 'd', 'delay -2 must be a number of seconds, 0 or more'],
    ['box', 'e', 'delay "5" must be a number of seconds, 0 or more'],
    ['box', 'f', 'until "ok" must be a function (result) => boolean'],
  ]);
  // deploy() reports them before any connection.
  let connected = false;
  const r = await run(p, { connect: async () => { connected = true; throw new Error('no'); } });
  assert.is(r.result.exitCode, 4);
  assert.not.ok(connected);
  assert.match(r.text, 'host box, task "a": retries -1 must be a whole number of retries, 0 or more');
});

test('retries, delay and until are options of every op, not op arguments', () => {
  const p = createProject();
  p.host('box', local).file('/tmp/x', { content: 'x', retries: 2, delay: 1, until: () => true });
  const { plan, problems } = buildPlan(p);
  assert.equal(problems, []);
  const t = plan.hosts[0]!.tasks[0]!;
  assert.is(t.options.retries, 2);
  assert.is(t.options.delay, 1);
  assert.type(t.options.until, 'function');
  assert.not.ok('retries' in (t.args as object));
});

test.run();
