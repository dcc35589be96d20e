import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject } from '../../lib/engine/deploy.js';
import type { EngineEvent } from '../../lib/report/events.js';
import { jsonPathProblem } from '../../lib/report/json.js';
import { plainReporter } from '../../lib/report/plain.js';
import { tmpDir } from '../support/tmp.js';

const local = { transport: 'local' as const };

test('--json into a folder that does not exist is a plan problem naming the flag and path: exit 4, nothing contacted', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const target = join(dir, 'ran');
    const p = createProject();
    p.host('box', local).shell(`touch ${target}`);
    for (const json of [join(dir, 'nonexistent', 'out.json'), dir, join(dir, 'file', 'out.json')]) {
      writeFileSync(join(dir, 'file'), '');
      let connects = 0;
      let out = '';
      const events: EngineEvent[] = [];
      const r = await deployProject(p, {
        argv: ['--json', json], keepExitCode: true,
        reporter: plainReporter({ write: (s) => { out += s; } }), listeners: [(e) => events.push(e)],
        connect: async () => { connects++; throw new Error('must not connect'); },
      });
      assert.is(r.exitCode, 4, json);
      assert.is(connects, 0, 'no host was contacted');
      assert.not.ok(existsSync(target), 'no task ran');
      assert.ok(events.every((e) => e.type === 'plan-invalid'), 'nothing started');
      assert.match(out, `--json ${json}`);
      assert.ok(r.problems?.some((q) => q.message.startsWith(`--json ${json}`)));
    }
    assert.not.ok(existsSync(join(dir, 'nonexistent')));
  } finally { cleanup(); }
});

test('jsonPathProblem accepts a new file in a folder that exists and an existing writable file', () => {
  const { dir, cleanup } = tmpDir();
  try {
    assert.is(jsonPathProblem(join(dir, 'new.json')), undefined);
    writeFileSync(join(dir, 'old.json'), '{}');
    assert.is(jsonPathProblem(join(dir, 'old.json')), undefined);
    assert.is(jsonPathProblem('/dev/null'), undefined, 'a writable device (or /dev/stdout) is fine');
    mkdirSync(join(dir, 'sub'));
    assert.match(jsonPathProblem(join(dir, 'sub'))!, 'is a folder');
    assert.match(jsonPathProblem(join(dir, 'missing', 'x.json'))!, `the folder ${join(dir, 'missing')} does not exist`);
  } finally { cleanup(); }
});

/** The report's changes of every task, after a run with `argv`. */
async function reportOf(p: ReturnType<typeof createProject>, dir: string, argv: string[]) {
  const json = join(dir, 'out.json');
  const r = await deployProject(p, { argv: [...argv, '--json', json], keepExitCode: true, reporter: () => {} });
  assert.is(r.exitCode, 0);
  const text = readFileSync(json, 'utf8');
  return { text, tasks: (JSON.parse(text) as { tasks: { changes: { what: string; content?: { before: string; after: string; secret?: boolean } }[] }[] }).tasks };
}

const KEY_BODY = 'QyNTUxOQAAACDcUOSiwhFRQrs9WfCiHk2ez1V3Sz5Ywg7KcqaqOyC3fwAAAJhIcxMsSHMT';

test('without --diff the JSON report names content changes but holds no file content', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    writeFileSync(join(dir, 'id_ed25519'), `-----BEGIN OPENSSH PRIVATE KEY-----\n${KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----\n`);
    writeFileSync(join(dir, 'conf'), 'old line in conf\n');
    const p = createProject();
    p.host('box', local)
      .copy(join(dir, 'id_ed25519'), join(dir, 'copied'))
      .file(join(dir, 'conf'), { content: 'new line in conf\n' })
      .template({ inline: 'rendered {{x}}\n' }, join(dir, 'tpl'), { vars: { x: 'text' } })
      .line(join(dir, 'conf'), { line: 'added line' });
    const { text, tasks } = await reportOf(p, dir, []);
    for (const gone of [KEY_BODY, 'old line in conf', 'new line in conf', 'rendered text', 'added line\\n']) assert.not.match(text, gone);
    assert.is(tasks.length, 4);
    for (const t of tasks) {
      assert.ok(t.changes.some((c) => c.what === 'content'), 'the content change is named');
      assert.ok(t.changes.every((c) => c.content === undefined), 'with no content');
    }
  } finally { cleanup(); }
});

test('with --diff the JSON report holds contents, except those marked secret', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    writeFileSync(join(dir, 'id_ed25519'), `-----BEGIN OPENSSH PRIVATE KEY-----\n${KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----\n`);
    const p = createProject();
    p.host('box', local)
      .file(join(dir, 'motd'), { content: 'hello motd\n' })
      .copy(join(dir, 'id_ed25519'), join(dir, 'copied'), { secret: true });
    const { text, tasks } = await reportOf(p, dir, ['--diff']);
    assert.is(tasks[0]!.changes[0]!.content!.after, 'hello motd\n');
    assert.equal(tasks[1]!.changes[0]!.content, { path: join(dir, 'copied'), before: '', after: '', secret: true });
    assert.not.match(text, KEY_BODY);
    assert.not.match(text, 'PRIVATE KEY');
  } finally { cleanup(); }
});

test('copy, file and template take secret: true, and refuse any other type for it', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    writeFileSync(join(dir, 'src'), 'data\n');
    const good = createProject();
    good.host('box', local)
      .copy(join(dir, 'src'), join(dir, 'a'), { secret: true })
      .file(join(dir, 'b'), { src: join(dir, 'src'), secret: true })
      .template({ inline: 'x\n' }, join(dir, 'c'), { secret: true });
    assert.is((await deployProject(good, { argv: [], keepExitCode: true, reporter: () => {} })).exitCode, 0);
    const bad = createProject();
    bad.host('box', local).copy(join(dir, 'src'), join(dir, 'a'), { secret: 'yes' as unknown as boolean });
    let connects = 0;
    const r = await deployProject(bad, { argv: [], keepExitCode: true, reporter: () => {}, connect: async () => { connects++; throw new Error('no'); } });
    assert.is(r.exitCode, 4);
    assert.ok(r.problems?.some((q) => /secret/.test(q.message)), JSON.stringify(r.problems));
    assert.is(connects, 0);
  } finally { cleanup(); }
});

test.run();
