import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { createProject, type Project } from '../../lib/dsl/project.js';
import { recipe } from '../../lib/dsl/recipe.js';
import { deployProject } from '../../lib/engine/deploy.js';
import { ops } from '../../lib/ops/index.js';
import type { ArgType } from '../../lib/ops/types.js';
import { buildPlan } from '../../lib/plan/build.js';
import type { PlanProblem } from '../../lib/plan/types.js';
import type { EngineEvent } from '../../lib/report/events.js';
import { webapp } from '../../recipes/webapp/index.js';
import { nginxProxySite, nginxServer, nginxSite } from '../../recipes/nginx/index.js';
import { pythonApp } from '../../recipes/python-app/index.js';

const THIS_FILE = fileURLToPath(import.meta.url);
/** The line of the caller: put it on the same line as the call whose call site is asserted. */
const here = () => Number(/:(\d+):\d+\)?$/.exec(new Error().stack!.split('\n')[2]!)![1]);

const problemsOf = (p: Project) => buildPlan(p).problems;
const messages = (ps: PlanProblem[]) => ps.map((q) => q.message);

/** A value of the wrong type for each declared argument type. */
const WRONG: Record<ArgType, unknown> = {
  'string': 42,
  'boolean': 'yes',
  'number': 'five',
  'string[]': 5,
  'string | string[]': { a: 1 },
  'number | number[]': ['x'],
  'mode': true,
  'content': 42,
  'object': 'x',
  'template': 42,
  'text': 42,
  'vars': 'x',
};

test('every op kind rejects an unknown option, listing what it takes when nothing is close', () => {
  assert.ok(Object.keys(ops).length >= 12, 'the registry holds the ops');
  for (const [kind, op] of Object.entries(ops)) {
    const p = createProject();
    const line = here(); p.host('a').add(kind, {}, { zzqqxx: 1 } as never);
    const found = problemsOf(p).filter((q) => q.message.startsWith('unknown option'));
    assert.is(found.length, 1, kind);
    const q = found[0]!;
    assert.is(q.host, 'a');
    assert.is(q.callSite?.file, THIS_FILE);
    assert.is(q.callSite?.line, line);
    assert.match(q.message, `unknown option zzqqxx (${kind} takes `, kind);
    for (const k of [...Object.keys(op.keys), 'notify', 'when', 'become', 'name']) assert.match(q.message, k, `${kind} lists ${k}`);
  }
});

test('every option of every op kind, misspelled, gets the right key suggested', () => {
  for (const [kind, op] of Object.entries(ops)) {
    for (const key of Object.keys(op.keys)) {
      const typo = `${key}x`;
      const p = createProject();
      p.host('a').add(kind, {}, { [typo]: 1 } as never);
      const msg = problemsOf(p).find((q) => q.message.startsWith(`unknown option ${typo}`))?.message;
      assert.is(msg, `unknown option ${typo} (did you mean ${key}?)`, `${kind}.${key}`);
    }
  }
});

test('the closest valid key is suggested, options every op takes included', () => {
  const cases: [(p: Project) => void, string][] = [
    [(p) => p.host('a').file('/etc/motd', { contents: 'x' } as never), 'unknown option contents (did you mean content?)'],
    [(p) => p.host('a').apt(['nginx'], { updatecache: true } as never), 'unknown option updatecache (did you mean updateCache?)'],
    [(p) => p.host('a').apt(['nginx'], { cacheValidTim: 60 } as never), 'unknown option cacheValidTim (did you mean cacheValidTime?)'],
    [(p) => p.host('a').service('nginx', { state: 'started', enable: true } as never), 'unknown option enable (did you mean enabled?)'],
    [(p) => p.host('a').shell('true', { creates: '/x', notfy: 'h' } as never), 'unknown option notfy (did you mean notify?)'],
    [(p) => p.host('a').copy('x', '/y', { dst: '/z' } as never), 'unknown option dst (did you mean dest?)'],
  ];
  for (const [declare, want] of cases) {
    const p = createProject();
    declare(p);
    assert.ok(messages(problemsOf(p)).includes(want), `${want} in ${JSON.stringify(messages(problemsOf(p)))}`);
  }
});

test('an unknown operation kind gets the closest one', () => {
  const p = createProject();
  p.host('a').add('fiel', { path: '/x' }, {});
  assert.equal(messages(problemsOf(p)), ['unknown operation "fiel" (did you mean file?)']);
});

test('an unknown option makes deploy() exit 4 with the fix, before any connection', async () => {
  const p = createProject();
  p.host('a', { transport: 'local' }).file('/tmp/shipshape-never-written', { contents: 'x' } as never);
  const events: EngineEvent[] = [];
  let connects = 0;
  const r = await deployProject(p, { argv: [], keepExitCode: true, reporter: (e) => events.push(e), connect: async () => { connects++; throw new Error('no'); } });
  assert.is(r.exitCode, 4);
  assert.is(connects, 0);
  const inv = events.find((e) => e.type === 'plan-invalid') as Extract<EngineEvent, { type: 'plan-invalid' }>;
  assert.equal(inv.problems.map((q) => [q.host, q.task, q.message]), [['a', 'file /tmp/shipshape-never-written', 'unknown option contents (did you mean content?)']]);
});

test('a value of the wrong type for any declared key of any op is a plan problem naming the key, never a crash', () => {
  for (const [kind, op] of Object.entries(ops)) {
    for (const [key, type] of Object.entries(op.keys as Record<string, ArgType>)) {
      const p = createProject();
      p.host('a').add(kind, {}, { [key]: WRONG[type] } as never);
      let problems: PlanProblem[] = [];
      try {
        problems = problemsOf(p);
      } catch (e) {
        assert.unreachable(`${kind}.${key} = ${JSON.stringify(WRONG[type])} crashed the plan: ${(e as Error).message}`);
      }
      const msg = messages(problems).find((m) => m.startsWith(`${key} `) && m.includes(' must be '));
      assert.ok(msg, `${kind}.${key}: ${JSON.stringify(messages(problems))}`);
    }
  }
});

test('wrong types in the positional arguments are named: apt(5), file(42), pip({ packages: 5 })', () => {
  const p = createProject();
  const h = p.host('a');
  h.apt(5 as never);
  h.file(42 as never);
  h.pip({ venv: '/opt/v', packages: 5 as never });
  h.command('ls' as never);
  h.template({ text: 'x' } as never, '/etc/x');
  assert.equal(messages(problemsOf(p)), [
    'packages 5 must be a list of strings',
    'path 42 must be a string',
    'packages 5 must be a list of strings',
    'argv "ls" must be a list of strings',
    `src {"text":"x"} must be a template file or { inline: 'text' }`,
  ]);
});

test('wrong types of the options every op takes are named', () => {
  const p = createProject();
  p.host('a')
    .shell('true', { notify: 5 } as never)
    .shell('true', { name: ['x'] } as never)
    .shell('true', { become: 5 } as never)
    .shell('true', { when: true } as never);
  assert.equal(messages(problemsOf(p)), [
    'notify 5 must be a handler name or a list of them',
    'name ["x"] must be a string',
    'become 5 must be true, a user name, or { user, password }',
    'when must be a function (facts) => boolean',
  ]);
});

test('each bundled recipe rejects an unknown param at the user\'s use() line, and adds nothing', () => {
  for (const r of [webapp, nginxServer, nginxProxySite, nginxSite, pythonApp]) {
    const p = createProject();
    const line = here(); p.host('a').use(r as typeof webapp, { zzqqxx: 1 } as never);
    const problems = problemsOf(p);
    assert.is(problems.length, 1, r.name);
    assert.match(problems[0]!.message, `recipe ${r.name}: unknown param zzqqxx (${r.name} takes `);
    for (const k of r.params!) assert.match(problems[0]!.message, k);
    assert.is(problems[0]!.callSite?.file, THIS_FILE);
    assert.is(problems[0]!.callSite?.line, line);
    assert.is(p.host('a').ops.length, 0, `${r.name} added nothing`);
    assert.is(p.host('a').handlers.length, 0, `${r.name} declared no handler`);
  }
});

test('a misspelled recipe param gets the closest one: prot → port, and a typo of a required param is not also reported missing', () => {
  const p = createProject();
  p.host('a').use(webapp, { prot: 8080 } as never);
  p.host('b').use(pythonApp, { appdir: '/srv/app', wokers: 3 } as never);
  const need = recipe('need', (t, q: { text: string }) => { if (!q.text) throw new Error('param text is required'); t.shell('true'); }, { params: { text: true } });
  p.host('c').use(need, { txt: 'hi' } as never);
  assert.equal(messages(problemsOf(p)), [
    'recipe webapp: unknown param prot (did you mean port?)',
    'recipe pythonApp: unknown param appdir (did you mean appDir?)',
    'recipe pythonApp: unknown param wokers (did you mean workers?)',
    'recipe need: unknown param txt (did you mean text?)',
  ]);
});

test('webapp hands each part only its own params, so every webapp param is accepted', () => {
  const p = createProject();
  p.group('web', ['h']).use(webapp, {
    appDir: '/srv/app', owner: 'www-data', group: 'www-data', port: 8000, workers: 3, runAs: 'www-data',
    workerProcesses: 2, workerConnections: 2048, serverName: 'example.org', listen: 8080, content: false, site: 'my.conf',
  });
  assert.equal(problemsOf(p), []);
  assert.ok(p.group('web').ops.length > 10);
});

test('a recipe without a params declaration takes any keys, as before', () => {
  const loose = recipe('loose', (t, q: { path: string }) => { t.file(q.path, { content: 'x' }); });
  assert.is(loose.params, undefined);
  const p = createProject();
  p.host('a').use(loose, { path: '/etc/x', extra: true } as never);
  assert.equal(problemsOf(p), []);
  assert.is(p.host('a').ops.length, 1);
});

test('params that are not an object are a plan problem for a recipe that declares its keys', () => {
  const p = createProject();
  p.host('a').use(webapp, 'opt/webapp' as never);
  assert.equal(messages(problemsOf(p)), ['recipe webapp: params must be an object, got "opt/webapp"']);
});

test.run();
