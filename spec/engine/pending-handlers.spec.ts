// Handlers notified by a run that failed are remembered on the host and run by the next run,
// even when nothing else changes; --force-handlers runs them in the failed run itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject, type DeployOptions } from '../../lib/engine/deploy.js';
import { clearPendingScript, parsePending, readPendingScript, recordPendingScript } from '../../lib/engine/pending.js';
import type { EngineEvent } from '../../lib/report/events.js';
import { LocalTransport } from '../../lib/transport/local.js';
import { tmpDir } from '../support/tmp.js';

/** A project on the local transport: a config file notifying "restart", then a task that may fail. */
function project(dir: string, o: { content: string; fail: boolean; handlerFails?: boolean }) {
  const p = createProject();
  p.host('box', { transport: 'local', stateDir: join(dir, 'state') })
    .file(join(dir, 'app.conf'), { content: o.content, notify: 'restart' })
    .shell(o.fail ? 'echo broken >&2; exit 7' : 'true', { unless: o.fail ? undefined : 'true', name: 'later task' })
    .handler('restart', (h) => h.shell(`${o.handlerFails ? 'exit 3; ' : ''}echo restarted >> ${join(dir, 'restarts')}`));
  return p;
}

async function run(p: ReturnType<typeof createProject>, o: DeployOptions = {}) {
  const events: EngineEvent[] = [];
  const result = await deployProject(p, { argv: [], keepExitCode: true, reporter: (e) => events.push(e), ...o });
  const ends = events.filter((e): e is Extract<EngineEvent, { type: 'task-end' }> => e.type === 'task-end');
  const handlerRuns = ends.filter((e) => e.task.handler && e.result.status !== 'skipped').length;
  const pending = events.find((e): e is Extract<EngineEvent, { type: 'handlers-pending' }> => e.type === 'handlers-pending');
  return { result, ends, handlerRuns, pending };
}

const restarts = (dir: string) => (existsSync(join(dir, 'restarts')) ? readFileSync(join(dir, 'restarts'), 'utf8').trim().split('\n').length : 0);
const pendingFile = (dir: string) => join(dir, 'state', 'pending-handlers');

test('a change followed by a failure leaves its handler pending; the next run runs it with nothing else changed; the third runs nothing', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const first = await run(project(dir, { content: 'port=5001\n', fail: true }));
    assert.is(first.result.exitCode, 2);
    assert.is(restarts(dir), 0, 'the handler did not run in the failed run');
    assert.is(readFileSync(pendingFile(dir), 'utf8'), 'restart\n', 'the notification is recorded on the host');
    const skipped = first.ends.find((e) => e.task.handler === 'restart')!;
    assert.match(skipped.result.reason ?? '', 'stays pending on the host and runs next time');

    const second = await run(project(dir, { content: 'port=5001\n', fail: false }));
    assert.is(second.result.exitCode, 0);
    assert.equal(second.pending?.names, ['restart']);
    assert.is(second.ends.filter((e) => !e.task.handler && e.result.status === 'changed').length, 0, 'nothing else changed');
    assert.is(restarts(dir), 1, 'the pending handler ran');
    assert.not.ok(existsSync(pendingFile(dir)), 'and is no longer pending');

    const third = await run(project(dir, { content: 'port=5001\n', fail: false }));
    assert.is(third.result.exitCode, 0);
    assert.is(third.handlerRuns, 0);
    assert.is(restarts(dir), 1);
  } finally { cleanup(); }
});

test('--check lists pending handlers as would run and leaves them pending', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    await run(project(dir, { content: 'a\n', fail: true }));
    const check = await run(project(dir, { content: 'a\n', fail: false }), { argv: ['--check'] });
    assert.equal(check.pending?.names, ['restart']);
    const h = check.ends.find((e) => e.task.handler === 'restart')!;
    assert.is(h.result.status, 'changed', 'shown as would run');
    assert.is(restarts(dir), 0, 'check mode ran nothing');
    assert.is(readFileSync(pendingFile(dir), 'utf8'), 'restart\n', 'still pending');
  } finally { cleanup(); }
});

test('--force-handlers runs the queued handler after a failure, and nothing stays pending', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const r = await run(project(dir, { content: 'b\n', fail: true }), { argv: ['--force-handlers'] });
    assert.is(r.result.exitCode, 2, 'the run still failed');
    assert.is(restarts(dir), 1, 'the handler ran');
    assert.not.ok(existsSync(pendingFile(dir)));
  } finally { cleanup(); }
});

test('a handler that fails stays pending and runs again next time', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const r = await run(project(dir, { content: 'c\n', fail: false, handlerFails: true }));
    assert.is(r.result.exitCode, 2);
    assert.is(readFileSync(pendingFile(dir), 'utf8'), 'restart\n');
    const again = await run(project(dir, { content: 'c\n', fail: false }));
    assert.is(again.result.exitCode, 0);
    assert.is(restarts(dir), 1);
    assert.not.ok(existsSync(pendingFile(dir)));
  } finally { cleanup(); }
});

test('a recorded name this plan does not declare is reported and left recorded', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const t = new LocalTransport();
    assert.is((await t.exec(recordPendingScript(['other project handler', "it's restart"], join(dir, 'state')))).code, 0);
    const r = await run(project(dir, { content: 'd\n', fail: false }));
    assert.equal(r.pending?.undeclared.sort(), ["it's restart", 'other project handler']);
    assert.equal(parsePending(readFileSync(pendingFile(dir), 'utf8')).sort(), ["it's restart", 'other project handler']);
    assert.is((await t.exec(clearPendingScript(["it's restart"], join(dir, 'state')))).code, 0);
    assert.equal(parsePending((await t.exec(readPendingScript(join(dir, 'state')))).stdout), ['other project handler']);
    await t.close();
  } finally { cleanup(); }
});

test('the pending file is written before the change is applied', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    // The state folder is a file: recording fails, so the change must not be applied.
    writeFileSync(join(dir, 'state'), '');
    const r = await run(project(dir, { content: 'e\n', fail: false }));
    assert.is(r.result.exitCode, 2);
    const conf = r.ends.find((e) => e.task.op === 'file')!;
    assert.match(conf.result.error?.message ?? '', 'could not record the handlers');
    assert.not.ok(existsSync(join(dir, 'app.conf')), 'nothing was changed');
  } finally { cleanup(); }
});

test('flushHandlers() runs the queued handlers at that point; a later notification runs them again at the end', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const log = join(dir, 'log');
    const p = createProject();
    p.host('box', { transport: 'local', stateDir: join(dir, 'state') })
      .file(join(dir, 'a'), { content: 'a\n', notify: 'restart' })
      .flushHandlers()
      .shell(`echo after-flush >> ${log}`, { name: 'sees the restart' })
      .file(join(dir, 'b'), { content: 'b\n', notify: 'restart' })
      .handler('restart', (h) => h.shell(`echo restart >> ${log}`));
    const r = await run(p);
    assert.is(r.result.exitCode, 0);
    assert.is(readFileSync(log, 'utf8'), 'restart\nafter-flush\nrestart\n');
    assert.not.ok(existsSync(pendingFile(dir)), 'nothing left pending');
    const again = await run(p);
    assert.is(again.handlerRuns, 0, 'an unchanged run flushes nothing');
    assert.is(readFileSync(log, 'utf8'), 'restart\nafter-flush\nrestart\nafter-flush\n');
  } finally { cleanup(); }
});

test('handlers that ran leave the pending file in one exec as the host finishes; one notified again after a flush stays pending when the run fails', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const log = join(dir, 'log');
    const plan = (o: { fail: boolean }) => {
      const p = createProject();
      p.host('box', { transport: 'local', stateDir: join(dir, 'state') })
        .file(join(dir, 'a'), { content: 'a\n', notify: ['restart', 'reload'] })
        .flushHandlers()
        .file(join(dir, 'b'), { content: o.fail ? 'b2\n' : 'b\n', notify: 'restart' })
        .shell(o.fail ? 'exit 5' : 'true', { unless: o.fail ? undefined : 'true', name: 'later task' })
        .handler('restart', (h) => h.shell(`echo restart >> ${log}`))
        .handler('reload', (h) => h.shell(`echo reload >> ${log}`));
      return p;
    };
    const events: EngineEvent[] = [];
    const r = await deployProject(plan({ fail: false }), { argv: [], keepExitCode: true, reporter: (e) => events.push(e) });
    assert.is(r.exitCode, 0);
    const clears = events.filter((e) => e.type === 'command' && e.command.includes('grep -vxF'));
    assert.is(clears.length, 1, `one clear for all handlers, got ${clears.length}`);
    const cmd = clears[0]!.type === 'command' ? clears[0]!.command : '';
    assert.ok(cmd.includes('-e restart') && cmd.includes('-e reload'), `it names both handlers: ${cmd}`);
    assert.not.ok(existsSync(pendingFile(dir)), 'nothing left pending');

    // the flush runs both handlers; then b changes and notifies restart again; then a task fails
    writeFileSync(join(dir, 'a'), 'old\n');
    const failed = await deployProject(plan({ fail: true }), { argv: [], keepExitCode: true, reporter: () => undefined });
    assert.is(failed.exitCode, 2);
    assert.is(readFileSync(pendingFile(dir), 'utf8'), 'restart\n', 'reload ran and is cleared; restart, notified after its run, stays');
  } finally { cleanup(); }
});

test('flushHandlers({ handlers }) runs only those; the others still run at the end; an unknown name is a plan error', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const log = join(dir, 'log');
    const p = createProject();
    p.host('box', { transport: 'local', stateDir: join(dir, 'state') })
      .file(join(dir, 'a'), { content: 'a\n', notify: ['reload', 'restart'] })
      .flushHandlers({ handlers: ['restart'] })
      .shell(`echo after-flush >> ${log}`, { name: 'after' })
      .handler('reload', (h) => h.shell(`echo reload >> ${log}`))
      .handler('restart', (h) => h.shell(`echo restart >> ${log}`));
    const r = await run(p);
    assert.is(r.result.exitCode, 0);
    assert.is(readFileSync(log, 'utf8'), 'restart\nafter-flush\nreload\n');

    const q = createProject();
    q.host('box', { transport: 'local', stateDir: join(dir, 'state') }).flushHandlers({ handlers: ['nope'] }).handler('restart', (h) => h.shell('true'));
    const bad = await run(q);
    assert.is(bad.result.exitCode, 4);
    assert.match(bad.result.problems?.[0]?.message ?? '', 'flushHandlers "nope" names no handler of this host');
  } finally { cleanup(); }
});

test('a task with supersedes drops the notifications queued before its change, on the host too; later ones still run the handler', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const build = (o: { conf: string; started: boolean; later?: string }) => {
      const p = createProject();
      p.host('box', { transport: 'local', stateDir: join(dir, 'state') })
        .file(join(dir, 'app.conf'), { content: o.conf, notify: 'restart' })
        .shell(`echo started >> ${join(dir, 'starts')}`, { unless: o.started ? 'true' : 'false', name: 'start it', supersedes: 'restart' })
        .file(join(dir, 'later.conf'), { content: o.later ?? 'x\n', notify: 'restart' })
        .handler('restart', (h) => h.shell(`echo restarted >> ${join(dir, 'restarts')}`));
      return p;
    };
    const first = await run(build({ conf: 'a\n', started: false }));
    assert.is(first.result.exitCode, 0);
    // later.conf changed after the start: that notification stands.
    assert.is(restarts(dir), 1, 'the notification made after the start ran the handler once');
    assert.not.ok(existsSync(pendingFile(dir)), 'nothing is left pending');

    const second = await run(build({ conf: 'b\n', started: false, later: 'x\n' }));
    assert.is(second.result.exitCode, 0);
    assert.is(restarts(dir), 1, 'a start after the only change does its work: no restart');
    const start = second.ends.find((e) => e.task.name === 'start it')!;
    assert.is(start.result.status, 'changed');

    const third = await run(build({ conf: 'c\n', started: true, later: 'x\n' }));
    assert.is(third.result.exitCode, 0);
    assert.is(restarts(dir), 2, 'no start (already running): the change restarts');

    const bad = createProject();
    bad.host('box', { transport: 'local' }).shell('true', { supersedes: 'restrat' }).handler('restart', (h) => h.shell('true'));
    const r = await run(bad);
    assert.is(r.result.exitCode, 4);
    assert.match((r.result.problems ?? []).map((x) => x.message).join('\n'), 'supersedes "restrat" names no handler of this host');
  } finally { cleanup(); }
});

test('a supersedes task also clears a notification an earlier failed run left pending', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const failed = await run(project(dir, { content: 'port=5001\n', fail: true }));
    assert.is(failed.result.exitCode, 2);
    assert.is(readFileSync(pendingFile(dir), 'utf8'), 'restart\n');
    const p = createProject();
    p.host('box', { transport: 'local', stateDir: join(dir, 'state') })
      .file(join(dir, 'app.conf'), { content: 'port=5001\n', notify: 'restart' })
      .shell('true', { name: 'start it', supersedes: ['restart'] })
      .handler('restart', (h) => h.shell(`echo restarted >> ${join(dir, 'restarts')}`));
    const again = await run(p);
    assert.is(again.result.exitCode, 0);
    assert.is(restarts(dir), 0, 'the pending restart was done by the start');
    assert.not.ok(existsSync(pendingFile(dir)), 'and is no longer recorded');
  } finally { cleanup(); }
});

test.run();
