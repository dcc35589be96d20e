// Consecutive file-like changes of a host go to it as one script (lib/engine/host-group.ts):
// each task still reports on its own, a failure stops the rest, nothing is half-written.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject } from '../../lib/engine/deploy.js';
import { groupableActions, groupScript } from '../../lib/engine/apply-group.js';
import type { HostPlan } from '../../lib/plan/types.js';
import type { EngineEvent } from '../../lib/report/events.js';
import { plainReporter } from '../../lib/report/plain.js';
import { secret } from '../../lib/secret.js';
import { CountingTransport } from '../support/counting-transport.js';
import { tmpDir } from '../support/tmp.js';

const local = { transport: 'local' as const };

async function run(p: ReturnType<typeof createProject>, argv: string[] = []) {
  const transports: CountingTransport[] = [];
  const events: EngineEvent[] = [];
  const result = await deployProject(p, {
    argv, keepExitCode: true, reporter: (e) => events.push(e),
    connect: async (h: HostPlan) => { const t = new CountingTransport(h.name); transports.push(t); return t; },
  });
  const ends = events.filter((e): e is Extract<EngineEvent, { type: 'task-end' }> => e.type === 'task-end');
  return { result, events, ends, calls: transports[0]?.calls ?? [] };
}

test('the grouped script writes each file atomically with its mode and reports an exit code per task', () => {
  const { dir, cleanup } = tmpDir();
  try {
    const g = groupScript([
      [{ kind: 'put', path: join(dir, 'a'), data: 'alpha\n', mode: 0o600 }],
      [{ kind: 'exec', command: `mkdir -p ${join(dir, 'sub')}` }, { kind: 'put', path: join(dir, 'sub', 'b'), data: Buffer.from([0, 1, 2, 255]) }],
    ]);
    const out = execFileSync('sh', ['-s'], { input: g.script, encoding: 'utf8' });
    assert.equal(g.parse(out), [0, 0]);
    assert.is(readFileSync(join(dir, 'a'), 'utf8'), 'alpha\n');
    assert.is(statSync(join(dir, 'a')).mode & 0o777, 0o600);
    assert.equal([...readFileSync(join(dir, 'sub', 'b'))], [0, 1, 2, 255]);
  } finally {
    cleanup();
  }
});

test('a failing task ends the grouped script: the tasks after it do not run', () => {
  const { dir, cleanup } = tmpDir();
  try {
    const g = groupScript([
      [{ kind: 'exec', command: `touch ${join(dir, 'one')}` }],
      [{ kind: 'exec', command: 'echo nope >&2; exit 7' }],
      [{ kind: 'put', path: join(dir, 'three'), data: 'x' }],
    ]);
    let out = '';
    try { out = execFileSync('sh', ['-s'], { input: g.script, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] }); } catch (e) { out = (e as { stdout: string }).stdout; }
    assert.equal(g.parse(out), [0, 7, undefined]);
    assert.ok(existsSync(join(dir, 'one')));
    assert.not.ok(existsSync(join(dir, 'three')));
  } finally {
    cleanup();
  }
});

test('output that imitates a marker is not taken for one', () => {
  const g = groupScript([[{ kind: 'exec', command: "printf '::shipshape:000000000000:task:0:0::\\n::shipshape:000000000000:task:1:0::\\n'; exit 3" }], [{ kind: 'exec', command: 'true' }]]);
  let out = '';
  try { out = execFileSync('sh', ['-s'], { input: g.script, encoding: 'utf8' }); } catch (e) { out = (e as { stdout: string }).stdout; }
  assert.equal(g.parse(out), [3, undefined]);
});

test('only uploads and plain commands are grouped', () => {
  assert.ok(groupableActions([{ kind: 'put', path: '/a', data: 'x' }, { kind: 'exec', command: 'chmod 0644 -- /a' }]));
  assert.not.ok(groupableActions([]));
  assert.not.ok(groupableActions([{ kind: 'exec', command: 'x', stdin: 'in' }]));
  assert.not.ok(groupableActions([{ kind: 'exec', command: 'x', okCodes: [0, 1] }]));
  assert.not.ok(groupableActions([{ kind: 'exec', command: 'x', after: ['daemon-reload'] }]));
  assert.not.ok(groupableActions([{ kind: 'defer', key: 'apt-update', command: 'apt-get update' }]));
  assert.not.ok(groupableActions([{ kind: 'put', path: '/big', data: Buffer.alloc(2 * 1024 * 1024) }]));
});

test('a first run of a folder, 8 files and a template sends its changes in one round trip, and each task reports its change', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const app = join(dir, 'app');
    const p = createProject();
    const h = p.host('localhost', local).file(app, { state: 'directory', mode: 0o750 });
    for (let i = 1; i <= 8; i++) h.file(join(app, `f${i}`), { content: `file ${i}\n`, mode: 0o640 });
    h.template({ inline: 'port={{port}}\n' }, join(app, 'app.conf'), { vars: { port: 5000 }, notify: 'reload' });
    h.handler('reload', (x) => x.shell(`echo reloaded >> ${join(dir, 'log')}`));
    const first = await run(p);
    assert.ok(first.result.ok);
    assert.is(first.result.hosts.localhost!.changed, 11);
    // The batch, recording the notified handler, the grouped changes, the handler's command,
    // clearing the handler's record: ten changed tasks in one round trip.
    assert.equal(first.calls.filter((c) => c.text === 'sh -s').length, 1);
    assert.is(first.calls.length, 5, first.calls.map((c) => c.text.slice(0, 60)).join('\n'));
    assert.equal(first.ends.filter((e) => !e.task.handler).map((e) => e.result.status), Array(10).fill('changed'));
    assert.is(statSync(app).mode & 0o777, 0o750);
    assert.is(statSync(join(app, 'f3')).mode & 0o777, 0o640);
    assert.is(readFileSync(join(app, 'app.conf'), 'utf8'), 'port=5000\n');
    assert.is(readFileSync(join(dir, 'log'), 'utf8'), 'reloaded\n');
    const again = await run(p);
    assert.is(again.result.hosts.localhost!.changed, 0);
    assert.is(again.calls.length, 1);
  } finally {
    cleanup();
  }
});

test('a grouped task that fails is reported with its exit code and stderr; later tasks are skipped, earlier ones changed', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = createProject();
    p.host('localhost', local)
      .file(join(dir, 'one'), { content: '1\n' })
      .file(join(dir, 'nodir', 'two'), { content: '2\n' })
      .file(join(dir, 'three'), { content: '3\n' });
    const r = await run(p);
    assert.is(r.result.exitCode, 2);
    assert.equal(r.ends.map((e) => e.result.status), ['changed', 'failed', 'skipped']);
    const err = r.ends[1]!.result.error!;
    assert.is(err.task, `file ${join(dir, 'nodir', 'two')}`);
    assert.ok(err.exitCode !== undefined && err.exitCode !== 0);
    assert.match(err.stderr ?? '', /nodir/);
    assert.is(readFileSync(join(dir, 'one'), 'utf8'), '1\n');
    assert.not.ok(existsSync(join(dir, 'three')));
  } finally {
    cleanup();
  }
});

test('secret content in a group shows nowhere in the output, even at -vv with diffs', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const pw = 'hunter2-grouped-secret';
    const p = createProject();
    p.host('localhost', local)
      .file(join(dir, 'a'), { content: 'public\n' })
      .file(join(dir, 'pw'), { content: secret(`${pw}\n`), mode: 0o600 });
    const r = await run(p, ['-vv']);
    assert.ok(r.result.ok);
    assert.is(readFileSync(join(dir, 'pw'), 'utf8'), `${pw}\n`);
    assert.ok(r.calls.some((c) => c.text === 'sh -s'), 'the two files went as one script');
    let text = '';
    const show = plainReporter({ verbosity: 2, diff: true, write: (x) => { text += x; } });
    for (const e of r.events) show(e);
    assert.match(text, `put ${join(dir, 'pw')}`);
    assert.not.match(text, pw);
    assert.not.match(text, Buffer.from(`${pw}\n`).toString('base64').slice(0, 16));
  } finally {
    cleanup();
  }
});

test.run();
