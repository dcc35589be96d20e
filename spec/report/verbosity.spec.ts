// --quiet, default, -v and -vv on the terminal reporters; the one line for tasks a failure skipped.
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject, type DeployOptions } from '../../lib/engine/deploy.js';
import type { EngineEvent } from '../../lib/report/events.js';
import { liveReporter } from '../../lib/report/live.js';
import { plainReporter } from '../../lib/report/plain.js';
import { secret } from '../../lib/secret.js';
import { CountingTransport } from '../support/counting-transport.js';
import { tmpDir } from '../support/tmp.js';

type Project = ReturnType<typeof createProject>;
const local = { transport: 'local' as const };

/** Deploys on counting local transports, the plain reporter at `level` writing into a string. */
async function run(p: Project, level: { verbosity?: number; quiet?: boolean }, o: DeployOptions = {}) {
  let out = '';
  const events: EngineEvent[] = [];
  const transports: CountingTransport[] = [];
  const result = await deployProject(p, {
    argv: [], keepExitCode: true, reporter: plainReporter({ ...level, write: (s) => { out += s; } }), listeners: [(e) => events.push(e)],
    connect: async (h) => { const t = new CountingTransport(h.name); transports.push(t); return t; },
    ...o,
  });
  return { result, out, lines: out.split('\n'), events, transports };
}

/** One host: a directory, a file in it, a shell task that fails, then two tasks it skips. */
function failing(dir: string): Project {
  const p = createProject();
  p.host('box', local)
    .file(join(dir, 'd'), { state: 'directory' })
    .file(join(dir, 'd', 'conf'), { content: 'port=5000\n' })
    .shell('echo about to fail; exit 3', { name: 'boom' })
    .file(join(dir, 'd', 'later-1'), { content: 'x\n' })
    .shell('true', { name: 'later 2' });
  return p;
}

/** The lines written under the status line that contains `task` (indented ones), in order. */
function under(lines: string[], task: string): string[] {
  const at = lines.findIndex((l) => l.includes(` | ${task} | `));
  assert.ok(at >= 0, `a line for ${task}`);
  const out: string[] = [];
  for (const l of lines.slice(at + 1)) { if (!l.startsWith('    ')) break; out.push(l.slice(4)); }
  return out;
}

test('--quiet shows only the failure, its error and the recap', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const { out, result } = await run(failing(dir), { quiet: true });
    assert.is(result.exitCode, 2);
    assert.not.match(out, 'Deploying');
    assert.not.match(out, '| changed');
    assert.not.match(out, 'skipped after');
    assert.match(out, 'box | boom | failed');
    assert.match(out, 'error: command failed with exit code 3');
    assert.match(out, /RECAP\nbox\s+: ok=2\s+changed=2\s+unreachable=0\s+failed=1\s+skipped=2/);
    assert.match(out, 'FAILED in');
  } finally { cleanup(); }
});

test('by default no command is shown, and the tasks a failure skipped make one line; the JSON report keeps each', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const json = join(dir, 'report.json');
    const { out, lines } = await run(failing(dir), {}, { json });
    assert.not.match(out, '$ ');
    assert.not.match(out, 'later 2');
    const failedAt = lines.findIndex((l) => l === 'box | boom | failed');
    const summaryAt = lines.indexOf('box | 2 tasks skipped after the failure of "boom"');
    assert.ok(failedAt >= 0 && summaryAt > failedAt, out);
    const tasks = JSON.parse(readFileSync(json, 'utf8')).tasks as { name: string; status: string }[];
    assert.equal(tasks.filter((t) => t.status === 'skipped').map((t) => t.name), [`file ${join(dir, 'd', 'later-1')}`, 'later 2']);
  } finally { cleanup(); }
});

test('-v shows every command and upload under its task, one per line, and the batched probe', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const { lines, transports } = await run(failing(dir), { verbosity: 1 });
    const sent = transports[0]!.calls;
    assert.match(lines.join('\n'), /box \| batched probe: 3 task probes and the facts in one script \(\d/);
    // The directory changed, but not the file in it: the batched probe holds, only the upload goes.
    const conf = under(lines, `file ${join(dir, 'd', 'conf')}`);
    assert.not.ok(conf.some((l) => l.startsWith('$ ') && l.includes(`stat -c`)), conf.join('\n'));
    assert.equal(conf.filter((l) => l.startsWith('put ')), [`put ${join(dir, 'd', 'conf')} (10 bytes)`]);
    assert.equal(under(lines, 'boom'), ['$ echo about to fail; exit 3']);
    // Every command the transport saw is shown, except the batched script (shown as its line).
    const shown = lines.filter((l) => l.startsWith('    $ ')).length + lines.filter((l) => / \| \$ /.test(l)).length;
    assert.is(shown, sent.filter((c) => c.kind === 'exec').length - 1);
    assert.not.match(lines.join('\n'), /took \d+ ms/, 'timings are -vv');
  } finally { cleanup(); }
});

test('-vv also shows probe output and timings, per task and for the batched probe', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    writeFileSync(join(dir, 'motd'), 'hello\n');
    const p = createProject();
    p.host('box', local).file(join(dir, 'motd'), { content: 'hello\n' }).shell('true', { name: 'noop' });
    const { lines, out } = await run(p, { verbosity: 2 });
    assert.match(out, /box \| batched probe: 1 task probe and the facts in one script \([\d.]+ K?B\); [\d.]+ K?B back in \d+ ms/);
    const motd = under(lines, `file ${join(dir, 'motd')}`);
    assert.is(motd[0], 'probe (batched) exit 0:');
    // What the probe read back: its checksum (the content is not sent when it is the wanted one).
    assert.ok(motd.includes(`  ${createHash('sha256').update('hello\n').digest('hex')}  -`), motd.join('\n'));
    assert.match(motd[motd.length - 1]!, /^took \d+ ms: probe 0 ms, apply 0 ms$/);
    assert.match(under(lines, 'noop').join('\n'), /^\$ true\ntook \d+ ms: probe 0 ms, apply \d+ ms$/);
  } finally { cleanup(); }
});

test('at -vv no secret shows: not in commands, probe output (nor as base64) or uploads', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const token = 'tok-VERBOSE-SECRET-4711';
    const path = join(dir, 'token');
    const build = () => {
      const p = createProject();
      p.host('box', local)
        .file(path, { content: secret(token), mode: 0o600 })
        // Reads the same file without holding the secret: its content comes back as base64.
        .line(path, { line: 'not in the file', state: 'absent', name: 'token mode' })
        .shell(`test -n ${token}`, { name: 'uses token' });
      return p;
    };
    const first = await run(build(), { verbosity: 2 });
    const second = await run(build(), { verbosity: 2 });
    assert.is(second.result.exitCode, 0, second.out);
    assert.is(readFileSync(path, 'utf8'), token);
    for (const { out } of [first, second]) {
      assert.not.match(out, token);
      assert.not.match(out, Buffer.from(token).toString('base64'));
    }
    assert.match(under(second.lines, `file ${path}`)[0]!, 'output not shown (the task holds a secret)');
    assert.ok(under(second.lines, 'token mode').includes('  ********'), second.out);
    assert.ok(under(second.lines, 'uses token').includes('$ test -n ********'), second.out);
  } finally { cleanup(); }
});

test('tsx deploy.ts -v reaches the terminal reporter, and --quiet with -v is a plan error', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = createProject();
    p.host('box', local).shell(`touch ${join(dir, 'ran')}`, { name: 'touch' });
    let printed = '';
    const write = process.stdout.write.bind(process.stdout);
    const tty = process.stdout.isTTY;
    process.stdout.isTTY = false as true;
    process.stdout.write = ((s: string) => { printed += s; return true; }) as typeof process.stdout.write;
    let both: Awaited<ReturnType<typeof deployProject>>;
    try {
      await deployProject(p, { argv: ['-v'], keepExitCode: true });
      both = await deployProject(p, { argv: ['-q', '-v'], keepExitCode: true });
    } finally {
      process.stdout.write = write;
      process.stdout.isTTY = tty;
    }
    assert.match(printed, `box | touch | changed (run)\n    $ touch ${join(dir, 'ran')}\n`);
    assert.is(both.exitCode, 4);
    assert.match(printed, '--quiet and --verbose');
  } finally { cleanup(); }
});

test('the run-start line counts the tasks left out by tags; an unknown tag stops the run before any connection', async () => {
  const p = createProject();
  p.host('box', local).shell('true', { name: 'a', tags: 'web' }).shell('true', { name: 'b', tags: 'db' }).shell('true', { name: 'c' });
  const { out, result } = await run(p, {}, { argv: ['--tags', 'web'] });
  assert.is(result.exitCode, 0);
  assert.match(out, 'Deploying 1 host, 1 task (2 left out by tags)');
  assert.match(out, 'box | a | changed');
  assert.not.match(out, '| b |');
  const bad = await run(p, {}, { argv: ['--tags', 'webb'] });
  assert.is(bad.result.exitCode, 4);
  assert.equal(bad.transports, [], 'no host contacted');
  assert.match(bad.out, '--tags webb: no task has this tag (did you mean web?; tags: db, web)');
});

test('a handler notified by a task that ran runs under --tags; one --skip-tags names stays pending and says so', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const build = (n: number) => {
      const p = createProject();
      p.host('box', local)
        .file(join(dir, 'conf'), { content: `v${n}\n`, tags: 'config', notify: 'restart' })
        .shell('true', { name: 'other', tags: 'other', notify: 'restart' })
        .handler('restart', (h) => h.shell(`echo ${n} >> ${join(dir, 'restarts')}`, { name: 'restart it' }), { tags: 'restart' });
      return p;
    };
    const tagged = await run(build(1), {}, { argv: ['--tags', 'config'] });
    assert.match(tagged.out, 'box | handler restart: restart it | changed');
    assert.is(readFileSync(join(dir, 'restarts'), 'utf8'), '1\n');
    const skipped = await run(build(2), {}, { argv: ['--tags', 'config', '--skip-tags', 'restart'] });
    assert.match(skipped.out, 'handler "restart" was notified but --skip-tags skips it; it stays pending on the host and runs next time');
    assert.is(readFileSync(join(dir, 'restarts'), 'utf8'), '1\n');
    const next = await run(build(2), {}, { argv: ['--tags', 'config'] });
    assert.match(next.out, 'handlers pending from an earlier run: restart');
    assert.is(readFileSync(join(dir, 'restarts'), 'utf8'), '1\n2\n');
  } finally { cleanup(); }
});

test('the live reporter writes the skipped summary too, and draws no progress block with --quiet', () => {
  const task = (i: number) => ({ id: `web-01#${i}`, host: 'web-01', name: `task ${i}`, op: 'shell' });
  const feed = (r: ReturnType<typeof liveReporter>) => {
    r({ type: 'task-start', task: task(0) });
    r({ type: 'task-end', task: task(0), result: { status: 'failed', changes: [], durationMs: 1 }, check: false });
    for (const i of [1, 2, 3]) r({ type: 'task-end', task: task(i), result: { status: 'skipped', changes: [], reason: 'an earlier task on this host failed', afterFailureOf: 'task 0', durationMs: 0 }, check: false });
    r({ type: 'host-end', host: 'web-01', stats: { ok: 0, changed: 0, failed: 1, skipped: 3, unreachable: 0, aborted: 0 } });
  };
  let out = '';
  const live = liveReporter({ write: (s) => { out += s; }, color: false });
  live({ type: 'task-start', task: task(9) });
  const drawn = out;
  live({ type: 'command', host: 'web-01', task: task(9), phase: 'apply', command: 'true' });
  live({ type: 'command', host: 'web-01', phase: 'host', command: 'true' });
  assert.is(out, drawn, 'commands not shown at this level do not redraw the block');
  out = '';
  feed(liveReporter({ write: (s) => { out += s; }, color: false }));
  assert.match(out, 'web-01 … task 0');
  assert.match(out, 'web-01 | 3 tasks skipped after the failure of "task 0"\n');
  assert.not.match(out, 'task 2');
  let quiet = '';
  feed(liveReporter({ write: (s) => { quiet += s; }, color: false, quiet: true }));
  assert.not.match(quiet, '…');
  assert.not.match(quiet, 'skipped after');
  assert.match(quiet, 'web-01 | task 0 | failed');
});

test.run();
