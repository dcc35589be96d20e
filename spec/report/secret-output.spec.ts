import { test } from 'uvu';
import * as assert from 'uvu/assert';
import createDebug from 'debug';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject } from '../../lib/engine/deploy.js';
import type { EngineEvent } from '../../lib/report/events.js';
import { liveReporter } from '../../lib/report/live.js';
import { plainReporter } from '../../lib/report/plain.js';
import { reveal, secret } from '../../lib/secret.js';
import { quote } from '../../lib/transport/quote.js';
import { tmpDir } from '../support/tmp.js';

type Project = ReturnType<typeof createProject>;

/**
 * Deploys on the local transport with every output on: the plain and the live reporter,
 * `--json`, `DEBUG=shipshape:*` (stderr captured) and explain() of every error in the events.
 */
async function everyOutput(p: Project, dir: string, argv: string[]) {
  let plain = '';
  let live = '';
  const debug: string[] = [];
  const events: EngineEvent[] = [];
  const json = join(dir, `report-${argv.join('')}.json`);
  const write = process.stderr.write;
  const was = createDebug.disable();
  createDebug.enable('shipshape:*');
  process.stderr.write = ((chunk: string) => { debug.push(String(chunk)); return true; }) as typeof process.stderr.write;
  let exitCode: number;
  try {
    ({ exitCode } = await deployProject(p, {
      argv: [...argv, '--json', json], keepExitCode: true,
      reporter: plainReporter({ diff: argv.includes('--diff'), write: (s) => { plain += s; } }),
      listeners: [liveReporter({ diff: argv.includes('--diff'), color: true, write: (s) => { live += s; } }), (e) => events.push(e)],
    }));
  } finally {
    process.stderr.write = write;
    createDebug.enable(was);
  }
  const errors = events.flatMap((e) => e.type === 'task-end' && e.result.error ? [e.result.error.explain()] : e.type === 'host-unreachable' ? [e.error.explain()] : []);
  return { exitCode, outputs: { plain, live, json: readFileSync(json, 'utf8'), debug: debug.join(''), errors: errors.join('\n') } };
}

/** The value, each line of it (of 3 characters or more), and its JSON-escaped form: none may show. */
function assertHidden(outputs: Record<string, string>, value: string) {
  const pieces = [value, JSON.stringify(value).slice(1, -1), ...value.split('\n').map((l) => l.trim()).filter((l) => l.length >= 3)];
  const leaks = Object.entries(outputs).flatMap(([where, text]) => pieces.filter((piece) => text.includes(piece)).map((piece) => `${JSON.stringify(piece)} in ${where}`));
  assert.equal(leaks, [], `shown: ${leaks.join('; ')}`);
}

const SECRETS = ['pw-with-"quotes"-1', 'back\\slash\\pw-2', 'first line pw-3\nsecond line pw-3', 'ünïcødé-пароль-✓-4', `mixed'"\\\n	pw-5`];

test('a secret with quotes, backslashes, newlines or unicode shows in no output: plain, live, JSON, debug log, errors', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = createProject();
    SECRETS.forEach((v, i) => {
      const s = secret(v);
      // The value reaches a file, a task name, a command line, the command's stderr and a failure.
      p.host(`box${i}`, { transport: 'local' })
        .file(join(dir, `f${i}`), { content: s })
        .shell(`printf '%s\\n' ${quote(reveal(s))} >&2; exit 3`, { name: v.includes('\n') ? undefined : `use ${reveal(s)}` });
    });
    for (const argv of [[], ['--diff']]) {
      const { exitCode, outputs } = await everyOutput(p, dir, argv);
      assert.is(exitCode, 2);
      assert.ok(outputs.errors.split('stderr:').length > SECRETS.length, 'every shell task failed with its stderr');
      assert.match(outputs.debug, 'printf', 'the debug log holds the commands');
      assert.match(outputs.live, 'box0', 'the live reporter wrote');
      const hosts = (JSON.parse(outputs.json) as { summary: { hosts: Record<string, { failed: number }> } }).summary.hosts;
      assert.is(Object.values(hosts).reduce((n, h) => n + h.failed, 0), SECRETS.length, 'the report counts every failure');
      for (const v of SECRETS) assertHidden(outputs, v);
      for (const [i, v] of SECRETS.entries()) assert.is(readFileSync(join(dir, `f${i}`), 'utf8'), v, 'the real value reached the file');
    }
  } finally { cleanup(); }
});

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDcUOSiwhFRQrs9WfCiHk2ez1V3Sz5Ywg7KcqaqOyC3fwAAAJhIcxMsSHMT\n-----END OPENSSH PRIVATE KEY-----\n';
const KEY_LINES = KEY.split('\n').slice(1, 3);

test('a secret() content of several lines shows in no output when a line task diffs the file, line by line neither', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    // Check mode diffs the file as it is on the host: there it already holds the key.
    writeFileSync(join(dir, 'checked'), KEY);
    for (const [name, argv] of [['applied', ['--diff']], ['checked', ['--diff', '--check']]] as const) {
      const p = createProject();
      p.host('box', { transport: 'local' })
        .file(join(dir, name), { content: secret(KEY), mode: 0o600 })
        // The line's diff holds the file's other lines: the secret ones.
        .line(join(dir, name), { line: 'extra line' });
      const { exitCode, outputs } = await everyOutput(p, dir, [...argv]);
      assert.is(exitCode, 0);
      assert.match(outputs.plain, '+extra line', 'the line diff is shown');
      for (const line of KEY_LINES) assertHidden(outputs, line);
      assert.match(outputs.plain, ' ********\n', 'with the secret lines masked');
    }
    assert.is(readFileSync(join(dir, 'applied'), 'utf8'), `${KEY}extra line\n`);
    assert.is(readFileSync(join(dir, 'checked'), 'utf8'), KEY, 'check mode changed nothing');
  } finally { cleanup(); }
});

test('copy, file and template with secret: true show their content in no diff, nor later line by line', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    writeFileSync(join(dir, 'id_local'), KEY);
    writeFileSync(join(dir, 'key.mustache'), '{{! a key }}\n' + KEY.replace('b3Bl', '{{prefix}}b3Bl'));
    const p = createProject();
    p.host('box', { transport: 'local' })
      .copy(join(dir, 'id_local'), join(dir, 'b'), { secret: true, mode: 0o600 })
      .file(join(dir, 'c'), { src: join(dir, 'id_local'), secret: true })
      .template(join(dir, 'key.mustache'), join(dir, 'd'), { vars: { prefix: '' }, secret: true })
      .template({ inline: 'token={{token}}\n' }, join(dir, 'e'), { vars: { token: secret('tmpl-token-value') } })
      .line(join(dir, 'b'), { line: 'extra b' })
      .line(join(dir, 'c'), { line: 'extra c' })
      .line(join(dir, 'd'), { line: 'extra d' })
      .line(join(dir, 'e'), { line: 'extra e' });
    const { exitCode, outputs } = await everyOutput(p, dir, ['--diff']);
    assert.is(exitCode, 0);
    for (const f of ['b', 'c', 'd']) assert.is(readFileSync(join(dir, f), 'utf8'), `${KEY}extra ${f}\n`);
    assert.is(outputs.plain.split('(content is secret: not shown)').length - 1, 4, 'the four secret contents are named, not shown');
    assert.match(outputs.plain, '+extra b', 'the line diffs are shown');
    for (const line of KEY_LINES) assertHidden(outputs, line);
    assertHidden(outputs, 'tmpl-token-value');
    const report = JSON.parse(outputs.json) as { tasks: { changes: { content?: { secret?: boolean } }[] }[] };
    assert.is(report.tasks.filter((t) => t.changes.some((c) => c.content?.secret)).length, 4);
  } finally { cleanup(); }
});

test('a content change of a secret file carries no checksum of the secret in the JSON report', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = createProject();
    p.host('box', { transport: 'local' }).file(join(dir, 'pin'), { content: secret('4711-pin') });
    const { outputs } = await everyOutput(p, dir, ['--diff']);
    const change = (JSON.parse(outputs.json) as { tasks: { changes: Record<string, unknown>[] }[] }).tasks[0]!.changes[0]!;
    assert.is(change.what, 'content');
    assert.is(change.after, undefined, 'no sha256 of the secret');
    assert.not.match(outputs.json, 'sha256');
  } finally { cleanup(); }
});

test.run();
