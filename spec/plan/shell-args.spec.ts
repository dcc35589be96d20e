// Strings no shell can carry (a NUL byte, more than a command line holds) are plan problems
// naming host, task and field, for every op kind and every argument that reaches a shell or a
// path, found before any host is contacted. Content is uploaded, not interpolated: it may hold
// anything.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject } from '../../lib/engine/deploy.js';
import { ops } from '../../lib/ops/index.js';
import { COMMAND_LINE_LIMIT } from '../../lib/ops/arg-check.js';
import type { ArgType } from '../../lib/ops/types.js';
import { buildPlan } from '../../lib/plan/build.js';
import type { EngineEvent } from '../../lib/report/events.js';

const NUL = 'a\0b';
const HUGE = 'x'.repeat(COMMAND_LINE_LIMIT + 1024);

/** A value of `type` with `s` in it, and the field name the problem must give. */
function holding(type: ArgType, key: string, s: string): { value: unknown; field: string } | undefined {
  switch (type) {
    case 'string': return { value: s, field: key };
    case 'string[]': return { value: ['ok', s], field: `${key}[1]` };
    case 'string | string[]': return { value: s, field: key };
    case 'object': return { value: { OK: 'fine', X: s }, field: `${key}.X` };
    case 'template': return { value: `files/${s}`, field: key };
    default: return undefined;
  }
}

/** Every (op kind, key) whose values reach a shell or a path. */
const shellKeys = Object.entries(ops).flatMap(([kind, op]) =>
  Object.entries(op.keys as Record<string, ArgType>).filter(([key, type]) => holding(type, key, '') !== undefined).map(([key, type]) => ({ kind, key, type })));

test('the table covers the shell-bound arguments of every op that has them', () => {
  const kinds = new Set(shellKeys.map((k) => k.kind));
  for (const kind of ['apt', 'file', 'copy', 'template', 'shell', 'command', 'service', 'user', 'group', 'venv', 'pip', 'line', 'waitFor']) assert.ok(kinds.has(kind), kind);
  assert.ok(shellKeys.some((k) => k.kind === 'shell' && k.key === 'env'), 'env values reach the shell');
});

test('a NUL byte in any argument that reaches a shell or a path is a plan problem naming host, task and field', () => {
  for (const { kind, key, type } of shellKeys) {
    const { value, field } = holding(type, key, NUL)!;
    const p = createProject();
    p.host('web-01').add(kind, { [key]: value }, { name: 'the task' });
    const found = buildPlan(p).problems.filter((q) => q.message.includes('NUL byte'));
    assert.is(found.length, 1, `${kind}.${key}: ${JSON.stringify(buildPlan(p).problems)}`);
    assert.is(found[0]!.host, 'web-01');
    assert.is(found[0]!.task, 'the task');
    assert.ok(found[0]!.message.startsWith(`${field} "`), `${kind}.${key}: ${found[0]!.message}`);
    assert.match(found[0]!.message, '\\u0000');
  }
});

test('an argument larger than a command line takes is a plan problem saying to use a file instead', () => {
  for (const { kind, key, type } of shellKeys) {
    const { value } = holding(type, key, HUGE)!;
    const p = createProject();
    p.host('web-01').add(kind, { [key]: value }, { name: 'the task' });
    const found = buildPlan(p).problems.filter((q) => q.message.includes('on a command line'));
    assert.is(found.length, 1, `${kind}.${key}`);
    assert.is(found[0]!.task, 'the task');
    assert.ok(found[0]!.message.startsWith(`${key} is 102 KB on a command line, more than the 100 KB one can take: put large content in a file`), found[0]!.message);
  }
});

test('arguments that fit one by one but not together are named together', () => {
  const p = createProject();
  const half = 'y'.repeat(COMMAND_LINE_LIMIT / 2);
  p.host('web-01').shell(`echo ${half}`, { unless: `test ${half}`, cwd: '/tmp' });
  const found = buildPlan(p).problems.map((q) => q.message).filter((m) => m.includes('on a command line'));
  assert.equal(found, ['command, unless, cwd together are 101 KB on a command line, more than the 100 KB one can take: put large content in a file on the host (copy, or file with content) and refer to it']);
});

test('content, a line and template variables may hold NUL bytes and any size: they are uploaded, not interpolated', () => {
  const p = createProject();
  const h = p.host('web-01');
  h.file('/etc/a', { content: `${NUL}${HUGE}` });
  h.file('/etc/b', { content: Buffer.from([0, 1, 2]) });
  h.line('/etc/c', { line: `${NUL}${HUGE}` });
  h.template({ inline: '{{a}}' }, '/etc/d', { vars: { a: `${NUL}${HUGE}` } });
  assert.equal(buildPlan(p).problems, []);
});

test('a become user with a NUL byte or a newline is a plan problem', () => {
  for (const become of ['ro\0ot', { user: 'www\nroot' }]) {
    const p = createProject();
    p.host('web-01').shell('id', { become, name: 'id' });
    const found = buildPlan(p).problems.filter((q) => q.message.startsWith('become user'));
    assert.is(found.length, 1, JSON.stringify(become));
    assert.is(found[0]!.task, 'id');
  }
});

test('deploy() reports them with exit code 4 and contacts no host', async () => {
  const p = createProject();
  p.host('web-01', { transport: 'local' }).shell(`echo ${NUL}`).command(['printf', HUGE]);
  p.host('web-02', { transport: 'local' }).copy(`files/${NUL}`, '/tmp/x');
  let contacted = 0;
  const events: EngineEvent[] = [];
  const r = await deployProject(p, {
    argv: [], keepExitCode: true, reporter: (e) => events.push(e),
    connect: async () => { contacted++; throw new Error('no host may be contacted'); },
  });
  assert.is(r.exitCode, 4);
  assert.is(contacted, 0);
  assert.equal(r.problems!.map((q) => [q.host, q.message.split(' ')[0]]), [['web-01', 'command'], ['web-01', 'argv'], ['web-02', 'src']]);
  assert.ok(events.some((e) => e.type === 'plan-invalid'));
  assert.ok(!events.some((e) => e.type === 'host-start'));
});

test('host options given in code are checked like an inventory\'s: a wrong type is a plan problem at the host() line', async () => {
  const p = createProject();
  p.host('web-01', { port: '22' as unknown as number, address: '10.0.0.1 -oProxyCommand=x' }).shell('true');
  let connects = 0;
  const r = await deployProject(p, { argv: [], keepExitCode: true, reporter: () => undefined, connect: async () => { connects++; throw new Error('no'); } });
  assert.is(r.exitCode, 4);
  assert.is(connects, 0);
  const text = (r.problems ?? []).map((x) => x.message).join('\n');
  assert.match(text, 'host("web-01") options.port must be a port');
  assert.match(text, 'host("web-01") options.address must be one word');
});

test.run();
