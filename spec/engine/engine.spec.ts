import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject, type DeployOptions } from '../../lib/engine/deploy.js';
import type { EngineEvent } from '../../lib/report/events.js';
import type { HostPlan } from '../../lib/plan/types.js';
import { CountingTransport } from '../support/counting-transport.js';
import { snapshot, tmpDir } from '../support/tmp.js';
import { running, waitFor } from '../support/wait.js';

const local = { transport: 'local' as const };

/** Runs a project quietly, on counting local transports; returns events and transports. */
async function run(p: ReturnType<typeof createProject>, o: DeployOptions = {}, onEvent?: (e: EngineEvent) => void) {
  const events: EngineEvent[] = [];
  const transports = new Map<string, CountingTransport>();
  const result = await deployProject(p, {
    argv: [], keepExitCode: true, reporter: (e) => { events.push(e); onEvent?.(e); },
    connect: async (h: HostPlan) => {
      const t = new CountingTransport(h.name);
      transports.set(h.name, t);
      return t;
    },
    ...o,
  });
  const ends = events.filter((e): e is Extract<EngineEvent, { type: 'task-end' }> => e.type === 'task-end');
  return { result, events, ends, transports };
}

/** A shell line that appends "label start <ns>" and "label end <ns>" around a short sleep. */
const stamp = (log: string, label: string, secs = 0.2) =>
  `echo "${label} start $(date +%s%N)" >> ${log}; sleep ${secs}; echo "${label} end $(date +%s%N)" >> ${log}`;
function intervals(log: string): Map<string, [number, number]> {
  const m = new Map<string, [number, number]>();
  for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
    const [label, what, ns] = line.split(' ');
    const cur = m.get(label!) ?? [0, 0];
    cur[what === 'start' ? 0 : 1] = Number(ns);
    m.set(label!, cur);
  }
  return m;
}
/** A shell line that waits (at most 30 s) until `file` exists, then runs `then`. */
const whenExists = (file: string, then: string) =>
  `i=0; while [ ! -e ${file} ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; [ -e ${file} ] && ${then}`;
/** The hosts of the task-start and task-end events, in order: "start a", "end a", ... */
const taskOrder = (events: EngineEvent[]) =>
  events.flatMap((e) => (e.type === 'task-start' ? [`start ${e.task.host}`] : e.type === 'task-end' ? [`end ${e.task.host}`] : []));

test('runs the operations of one host in the order written, across host() and group()', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = createProject();
    const log = join(dir, 'order');
    p.host('a', local).shell(`echo 1 >> ${log}`);
    p.group('g', ['a']).shell(`echo 2 >> ${log}`);
    p.host('a').shell(`echo 3 >> ${log}`);
    p.group('g').shell(`echo 4 >> ${log}`);
    const { result } = await run(p);
    assert.is(result.exitCode, 0);
    assert.is(readFileSync(log, 'utf8'), '1\n2\n3\n4\n');
  } finally { cleanup(); }
});

test('runs different hosts at the same time, and one at a time with forks 1', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    // Each host's task marks that it runs, then waits until all three run: it can end (with
    // "met") only if the three ran at the same time, however slow the machine is.
    const running = join(dir, 'running');
    const met = join(dir, 'met');
    const all = `[ $(ls ${running} | wc -l) -ge 3 ]`;
    const par = createProject();
    for (const h of ['a', 'b', 'c']) {
      par.host(h, local).shell(`mkdir -p ${running}; touch ${running}/${h}; i=0; until ${all} || [ $i -ge 600 ]; do sleep 0.05; i=$((i+1)); done; ${all} && echo ${h} >> ${met}`);
    }
    const together = await run(par);
    assert.is(together.result.exitCode, 0, 'a task that waited in vain for the other two fails');
    assert.equal(readFileSync(met, 'utf8').trim().split('\n').sort(), ['a', 'b', 'c'], 'each task saw all three running');
    assert.equal(taskOrder(together.events).slice(0, 3).map((s) => s.split(' ')[0]), ['start', 'start', 'start'], 'three starts before any end');
    // With forks 1 each task notes how many others ran when it started (its sleep leaves room
    // for overlap to show), and each host's task ends before the next one starts.
    const busy = join(dir, 'busy');
    const seen = join(dir, 'seen');
    const ser = createProject();
    for (const h of ['a', 'b', 'c']) {
      ser.host(h, local).shell(`mkdir -p ${busy}; echo "${h} $(ls ${busy} | wc -l)" >> ${seen}; touch ${busy}/${h}; sleep 0.2; rm ${busy}/${h}`);
    }
    const one = await run(ser, { forks: 1 });
    assert.is(one.result.exitCode, 0);
    assert.equal(readFileSync(seen, 'utf8').trim().split('\n').map((l) => l.split(' ')[1]), ['0', '0', '0'], 'no other task ran when one started');
    const order = taskOrder(one.events);
    assert.equal(order.map((s) => s.split(' ')[0]), ['start', 'end', 'start', 'end', 'start', 'end'], order.join(', '));
    assert.equal([order[0], order[2], order[4]].map((s) => s!.split(' ')[1]), [order[1], order[3], order[5]].map((s) => s!.split(' ')[1]), 'each start is followed by its own end');
  } finally { cleanup(); }
});

test('after() makes a target wait until the other target finished on all of its hosts', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = createProject();
    const log = join(dir, 'log');
    const db = p.group('db', ['d1', 'd2']);
    for (const h of ['d1', 'd2', 'w1']) p.host(h, { ...local, vars: { n: h } });
    db.shell(stamp(log, 'd1-fast', 0.05), { when: (f) => f.vars.n === 'd1' });
    db.shell(stamp(log, 'd2-slow', 0.4), { when: (f) => f.vars.n === 'd2' });
    const web = p.group('web', ['w1']).after(db);
    web.shell(stamp(log, 'web', 0.05));
    await run(p);
    const iv = intervals(log);
    assert.ok(iv.get('web')![0] >= iv.get('d2-slow')![1], 'web starts after the slow db host finished');
  } finally { cleanup(); }
});

test('a target waiting with after() for a target that failed on one of its hosts is skipped, saying why', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = createProject();
    const db = p.group('db', ['d1']);
    p.host('d1', local);
    p.host('w1', local);
    db.shell('exit 1', { name: 'db setup' });
    p.group('web', ['w1']).after(db).file(join(dir, 'web'), { content: '' });
    const { result, ends } = await run(p);
    assert.is(result.exitCode, 2);
    assert.not.ok(existsSync(join(dir, 'web')));
    const web = ends.find((e) => e.task.host === 'w1')!;
    assert.is(web.result.status, 'skipped');
    assert.is(web.result.reason, 'waits for group db, which did not complete on d1');
  } finally { cleanup(); }
});

test('a handler runs once, after the host\'s operations, only when its notifier changed something', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const build = () => {
      const p = createProject();
      const log = join(dir, 'log');
      p.host('a', local)
        .file(join(dir, 'one'), { content: '1\n', notify: 'restart' })
        .file(join(dir, 'two'), { content: '2\n', notify: ['restart', 'reload'] })
        .shell(`echo task >> ${log}`, { creates: join(dir, 'never-made-by-anyone-else') + '-x', name: 'last task' })
        .handler('reload', (h) => h.shell(`echo reload >> ${log}`))
        .handler('restart', (h) => h.shell(`echo restart >> ${log}`, { notify: 'reload' }));
      return { p, log };
    };
    const first = build();
    const r1 = await run(first.p);
    assert.is(r1.result.exitCode, 0);
    // declared order: reload before restart; restart's notify queues reload, which already ran once
    assert.is(readFileSync(first.log, 'utf8'), 'task\nreload\nrestart\n');
    const handlerEnds = r1.ends.filter((e) => e.task.handler);
    assert.equal(handlerEnds.map((e) => e.task.handler), ['reload', 'restart']);
    writeFileSync(first.log, '');
    const second = build();
    const r2 = await run(second.p);
    assert.is(readFileSync(second.log, 'utf8'), 'task\n', 'no handler on an unchanged run');
    assert.is(r2.ends.filter((e) => e.task.handler).length, 0);
  } finally { cleanup(); }
});

test('a failed task stops its own host only; its queued handlers are reported as not run', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = createProject();
    p.host('bad', local)
      .file(join(dir, 'bad-file'), { content: 'x\n', notify: 'h' })
      .shell('echo boom >&2; exit 7', { name: 'explodes' })
      .file(join(dir, 'never'), { content: 'y\n' })
      .handler('h', (h) => h.file(join(dir, 'handler-ran'), { content: '' }));
    // The other host writes its file only once the failure was reported: it went on after it.
    const failedSeen = join(dir, 'failed-seen');
    p.host('good', local).shell(whenExists(failedSeen, `echo ok > ${join(dir, 'good')}`));
    const { result, ends } = await run(p, {}, (e) => {
      if (e.type === 'task-end' && e.result.status === 'failed') writeFileSync(failedSeen, '');
    });
    assert.is(result.exitCode, 2);
    assert.is(result.ok, false);
    assert.is(result.hosts.bad!.failed, 1);
    assert.is(result.hosts.good!.failed, 0, 'the good host saw the failure reported, then finished its task');
    assert.ok(existsSync(join(dir, 'good')), 'the other host went on');
    assert.not.ok(existsSync(join(dir, 'never')), 'later tasks of the failed host did not run');
    assert.not.ok(existsSync(join(dir, 'handler-ran')));
    const failed = ends.find((e) => e.result.status === 'failed')!;
    assert.is(failed.task.name, 'explodes');
    assert.is(failed.result.error!.exitCode, 7);
    assert.match(failed.result.error!.stderr!, 'boom');
    assert.match(failed.result.error!.explain(), 'engine.spec.ts');
    const notRun = ends.find((e) => e.task.handler === 'h')!;
    assert.is(notRun.result.status, 'skipped');
    assert.match(notRun.result.reason!, 'notified but not run');
  } finally { cleanup(); }
});

test('check mode changes nothing on the host and reports what would change', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    writeFileSync(join(dir, 'existing'), 'old\n');
    const before = snapshot(dir);
    const p = createProject();
    p.host('a', local)
      .file(join(dir, 'existing'), { content: 'new\n', mode: 0o600, notify: 'h' })
      .file(join(dir, 'sub'), { state: 'directory' })
      .shell(`touch ${join(dir, 'ran')}`)
      .handler('h', (h) => h.shell(`touch ${join(dir, 'handler')}`));
    const { result, ends } = await run(p, { argv: ['--check'] });
    assert.is(snapshot(dir), before, 'the tree is byte-identical');
    assert.is(result.check, true);
    assert.is(result.hosts.a!.changed, 4);
    const shell = ends.find((e) => e.task.op === 'shell' && !e.task.handler)!;
    assert.is(shell.result.unknown, true, 'a bare shell says it would run');
  } finally { cleanup(); }
});

test('an invalid plan reports every problem at once, with call sites, exit code 4 and no connection', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = createProject();
    let connects = 0;
    const a = p.host('a', local);
    a.file(join(dir, 'x'), { content: 'x', mode: '0999', notify: 'nope' });
    a.template({ inline: 'port {{port}} {{missing}}' }, join(dir, 'y'), { vars: { port: 1 } });
    a.copy('does/not/exist', join(dir, 'z'));
    p.group('g1', ['a']).after(p.group('g2', ['a']).shell('true'));
    p.group('g1').shell('true');
    p.group('g2').after(p.group('g1'));
    const { result, events } = await run(p, { argv: ['--limit', 'a,ghost'], connect: async () => { connects++; throw new Error('no'); } });
    assert.is(result.exitCode, 4);
    assert.is(connects, 0);
    const inv = events.find((e) => e.type === 'plan-invalid') as Extract<EngineEvent, { type: 'plan-invalid' }>;
    const text = inv.problems.map((q) => q.message).join('\n');
    assert.match(text, 'mode "0999"');
    assert.match(text, 'notify "nope"');
    assert.match(text, 'missing');
    assert.match(text, 'does/not/exist');
    assert.match(text, '--limit "ghost"');
    assert.match(text, 'cycle');
    assert.ok(inv.problems.filter((q) => q.callSite?.file.endsWith('engine.spec.ts')).length >= 3, 'problems carry call sites');
  } finally { cleanup(); }
});

test('a run where nothing changes sends exactly one probe script per host', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const build = () => {
      const p = createProject();
      for (const h of ['a', 'b']) {
        p.host(h, local)
          .file(join(dir, h), { state: 'directory', mode: 0o750 })
          .file(join(dir, h, 'f'), { content: `${h}\n`, mode: 0o640 })
          .file(join(dir, h, 'l'), { target: join(dir, h, 'f') })
          .shell('exit 1', { creates: join(dir, h, 'f') });
      }
      return p;
    };
    const first = await run(build());
    assert.is(first.result.hosts.a!.changed, 3);
    const second = await run(build());
    assert.is(second.result.exitCode, 0);
    for (const h of ['a', 'b']) {
      assert.is(second.result.hosts[h]!.changed, 0);
      assert.is(second.transports.get(h)!.calls.length, 1, `one call for ${h}`);
      assert.ok(second.transports.get(h)!.closed, 'connection closed');
    }
    // The first run: the batch, the three file changes as one script, then the shell's own
    // probe (it may depend on anything that changed).
    assert.equal(first.transports.get('a')!.calls.map((c) => (c.text === 'sh -s' ? 'group' : c.text.includes(':begin:facts::') ? 'batch' : 'probe')), ['batch', 'group', 'probe']);
  } finally { cleanup(); }
});

test('an unreachable host is reported with exit code 3 while other hosts go on', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = createProject();
    p.host('down').shell('true');
    p.host('up', local).file(join(dir, 'ok'), { content: 'ok\n' });
    const { result, events } = await run(p, {
      connect: async (h) => {
        if (h.name === 'down') throw Object.assign(new Error('connect ECONNREFUSED'), {});
        return new CountingTransport(h.name);
      },
    });
    assert.is(result.exitCode, 3);
    assert.is(result.hosts.down!.unreachable, 1);
    assert.is(result.hosts.up!.changed, 1);
    assert.ok(events.some((e) => e.type === 'host-unreachable' && e.host === 'down'));
  } finally { cleanup(); }
});

test('an abort signals the running command (reported aborted, its process gone) and starts nothing new', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = createProject();
    const started = join(dir, 'started');
    p.host('a', local)
      .shell(`sleep 30 & echo $! > ${started}; wait; touch ${join(dir, 'first')}`)
      .shell(`touch ${join(dir, 'second')}`)
      .file(join(dir, 'third'), { content: '' });
    const ac = new AbortController();
    // Abort once the command is running (its marker file exists), not after a guessed delay.
    const watcher = setInterval(() => { if (existsSync(started) && readFileSync(started, 'utf8').trim()) { clearInterval(watcher); ac.abort(); } }, 10);
    const { result, ends } = await run(p, { signal: ac.signal });
    clearInterval(watcher);
    const sleepPid = Number(readFileSync(started, 'utf8').trim());
    assert.not.ok(existsSync(join(dir, 'first')), 'the running command was stopped');
    assert.not.ok(existsSync(join(dir, 'second')));
    assert.not.ok(existsSync(join(dir, 'third')));
    assert.equal(ends.map((e) => e.result.status), ['aborted', 'skipped', 'skipped']);
    assert.is(ends[1]!.result.reason, 'the run was aborted');
    assert.is(result.hosts.a!.aborted, 1);
    assert.is(result.hosts.a!.failed, 0);
    assert.is(result.hosts.a!.skipped, 2);
    assert.is(result.aborted, true);
    assert.is(result.ok, false);
    assert.is(result.exitCode, 130);
    // Signals are delivered asynchronously: wait (bounded) for the child to be gone or a zombie.
    await waitFor(`the command's child (sleep, pid ${sleepPid}) to be gone too, not orphaned`, () => !running(sleepPid), 5_000);
  } finally { cleanup(); }
});

test('a host whose state cannot be read (become refused) fails with the reason, and is not called unreachable', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = createProject();
    p.host('a', local).file(join(dir, 'x'), { content: '', become: 'no-such-user-here' }).file(join(dir, 'y'), { content: '' });
    const { result, ends } = await run(p);
    assert.is(result.exitCode, 2);
    assert.is(result.hosts.a!.failed, 1);
    assert.is(result.hosts.a!.unreachable, 0);
    assert.equal(ends.map((e) => e.result.status), ['failed', 'skipped']);
    const err = ends[0]!.result.error!;
    assert.match(err.message, "could not read the host's state");
    assert.ok(err.stderr && err.stderr.length > 0, 'stderr says why');
    assert.not.ok(existsSync(join(dir, 'y')));
  } finally { cleanup(); }
});

test('when() is decided at run time from the facts', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = createProject();
    p.host('a', { ...local, vars: { role: 'web' } })
      .file(join(dir, 'yes'), { content: '', when: (f) => f.vars.role === 'web' && f.cpus >= 1 })
      .file(join(dir, 'no'), { content: '', when: (f) => f.os.id === 'plan9' });
    const { ends } = await run(p);
    assert.ok(existsSync(join(dir, 'yes')));
    assert.not.ok(existsSync(join(dir, 'no')));
    assert.is(ends[1]!.result.status, 'skipped');
    assert.is(ends[1]!.result.reason, 'when was false');
  } finally { cleanup(); }
});

test.run();
