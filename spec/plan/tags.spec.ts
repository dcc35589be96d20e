// --tags / --skip-tags: Ansible's selection as a table, then through the plan builder.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../lib/dsl/project.js';
import { recipe } from '../../lib/dsl/recipe.js';
import { buildPlan } from '../../lib/plan/build.js';
import { handlerRuns, selectionProblems, tagNameProblem, taskRuns, type TagSelection } from '../../lib/plan/tags.js';

// [task tags, selection, runs?]
const table: [string[], TagSelection, boolean][] = [
  [[], {}, true],
  [['web'], {}, true],
  [['never'], {}, false],
  [['never', 'debug'], {}, false],
  [['never', 'debug'], { tags: ['debug'] }, true],
  [['never', 'debug'], { tags: ['all'] }, false],
  [['never', 'debug'], { tags: ['tagged'] }, false],
  [['never'], { tags: ['never'] }, true],
  [['web'], { tags: ['web'] }, true],
  [['web', 'nginx'], { tags: ['nginx'] }, true],
  [['db'], { tags: ['web'] }, false],
  [[], { tags: ['web'] }, false],
  [['always'], { tags: ['web'] }, true],
  [['always', 'never'], {}, true],
  [['always'], { skipTags: ['always'] }, false],
  [['always', 'web'], { skipTags: ['web'] }, false],
  [['always'], { skipTags: ['all'] }, true],
  [['always'], { skipTags: ['all', 'always'] }, false],
  [['web'], { skipTags: ['all'] }, false],
  [['web'], { skipTags: ['web'] }, false],
  [['web'], { skipTags: ['db'] }, true],
  [['web'], { tags: ['web'], skipTags: ['web'] }, false],
  [[], { tags: ['untagged'] }, true],
  [['web'], { tags: ['untagged'] }, false],
  [[], { skipTags: ['untagged'] }, false],
  [['web'], { skipTags: ['untagged'] }, true],
  [['web'], { tags: ['tagged'] }, true],
  [[], { tags: ['tagged'] }, false],
  [['web'], { skipTags: ['tagged'] }, false],
  [[], { skipTags: ['tagged'] }, true],
  [[], { tags: ['all'] }, true],
  [['web'], { tags: ['all'], skipTags: ['web'] }, false],
];

test('a task runs as Ansible decides: --tags, --skip-tags, always, never, tagged, untagged, all', () => {
  for (const [tags, sel, want] of table) {
    assert.is(taskRuns(tags, sel), want, `tags [${tags.join(',')}] with ${JSON.stringify(sel)}`);
  }
});

test('a handler is filtered only by --skip-tags naming one of its tags', () => {
  assert.ok(handlerRuns(['restart'], { tags: ['config'] }), '--tags does not filter handlers');
  assert.ok(handlerRuns([], { tags: ['config'] }));
  assert.not.ok(handlerRuns(['restart'], { skipTags: ['restart'] }));
  for (const special of ['all', 'tagged', 'untagged']) assert.ok(handlerRuns(['restart'], { skipTags: [special] }), `--skip-tags ${special}`);
});

test('a tag is one plain word, and not a name only a selection uses', () => {
  for (const ok of ['web', 'nginx-conf', 'app_1', 'v1.2', 'always', 'never', 'überall']) assert.is(tagNameProblem(ok), undefined, ok);
  assert.is(tagNameProblem('web server'), 'tag "web server" must be one plain word (letters, digits, _ - .)');
  assert.match(tagNameProblem('a,b')!, 'tag "a,b" must be one plain word');
  assert.match(tagNameProblem('')!, 'tag "" must be one plain word');
  assert.match(tagNameProblem('-x')!, 'tag "-x"');
  assert.match(tagNameProblem(5)!, 'tag 5 must be a string');
  for (const reserved of ['all', 'tagged', 'untagged']) assert.match(tagNameProblem(reserved)!, `tag "${reserved}" is reserved`);
});

test('a selected tag no task has is a problem naming the closest one; special names are always known', () => {
  const known = new Set(['nginx', 'app', 'config']);
  assert.equal(selectionProblems({ tags: ['ngnix'] }, known), ['--tags ngnix: no task has this tag (did you mean nginx?; tags: app, config, nginx)']);
  assert.equal(selectionProblems({ skipTags: ['confg'] }, known), ['--skip-tags confg: no task has this tag (did you mean config?; tags: app, config, nginx)']);
  assert.equal(selectionProblems({ tags: ['zzz'] }, new Set()), ['--tags zzz: no task has this tag (no task has any tag)']);
  assert.equal(selectionProblems({ tags: ['alwys'] }, known)[0], '--tags alwys: no task has this tag (did you mean always?; tags: app, config, nginx)');
  assert.equal(selectionProblems({ tags: ['all', 'always', 'never', 'tagged', 'untagged', 'app'], skipTags: ['nginx'] }, known), []);
  assert.match(selectionProblems({ tags: ['a b'] }, known)[0]!, '--tags "a b": a tag is one plain word');
});

const names = (plan: ReturnType<typeof buildPlan>['plan'], host: string) => plan.hosts.find((h) => h.name === host)!.tasks.map((t) => t.name);

/** A project with tagged tasks on two hosts, a recipe used with tags (nested), and handlers. */
function project() {
  const p = createProject();
  const inner = recipe('inner', (t) => { t.shell('true', { name: 'inner task', tags: 'deep' }); });
  const outer = recipe('outer', (t) => {
    t.shell('true', { name: 'outer task' });
    t.use(inner, undefined, { tags: 'inner' });
    t.handler('reload app', (h) => h.shell('true'), { tags: 'reload' });
  });
  p.host('web', { transport: 'local' })
    .shell('true', { name: 'plain' })
    .shell('true', { name: 'nginx', tags: ['nginx', 'web'], notify: 'restart nginx' })
    .shell('true', { name: 'debug', tags: ['never', 'debug'] })
    .shell('true', { name: 'facts', tags: 'always' })
    .use(outer, undefined, { tags: ['app'] })
    .handler('restart nginx', (h) => h.shell('true'), { tags: 'restart' });
  p.host('db', { transport: 'local' }).shell('true', { name: 'db only', tags: 'postgres' });
  return p;
}

test('tasks not selected leave the plan; the plan counts them; never is left out by default', () => {
  const all = buildPlan(project());
  assert.equal(all.problems, []);
  assert.equal(names(all.plan, 'web'), ['plain', 'nginx', 'facts', 'outer task', 'inner task']);
  assert.is(all.plan.leftOutByTags, 1, 'the never task');

  const web = buildPlan(project(), { tags: ['web'] });
  assert.equal(web.problems, []);
  assert.equal(names(web.plan, 'web'), ['nginx', 'facts']);
  assert.equal(names(web.plan, 'db'), []);
  assert.is(web.plan.leftOutByTags, 4 + 1, 'web: plain, debug, outer task, inner task; db: db only');

  const debug = buildPlan(project(), { tags: ['debug'] });
  assert.equal(names(debug.plan, 'web'), ['debug', 'facts']);

  const skip = buildPlan(project(), { skipTags: ['always', 'app'] });
  assert.equal(names(skip.plan, 'web'), ['plain', 'nginx']);
});

test('use() gives its tags to the recipe\'s tasks and handlers, and nested use() adds its own', () => {
  const { plan } = buildPlan(project());
  const web = plan.hosts.find((h) => h.name === 'web')!;
  const tagsOf = (n: string) => web.tasks.find((t) => t.name === n)!.options.tags;
  assert.equal(tagsOf('outer task'), ['app']);
  assert.equal(tagsOf('inner task'), ['app', 'inner', 'deep']);
  assert.equal(tagsOf('plain'), undefined);
  assert.equal(web.handlers.find((h) => h.name === 'reload app')!.tags, ['app', 'reload']);
  assert.equal(names(buildPlan(project(), { tags: ['inner'] }).plan, 'web'), ['facts', 'inner task']);
  assert.equal(names(buildPlan(project(), { tags: ['app'] }).plan, 'web'), ['facts', 'outer task', 'inner task']);
});

test('handlers stay in the plan whatever --tags says; --skip-tags naming a tag marks the handler skipped', () => {
  const { plan } = buildPlan(project(), { tags: ['nginx'], skipTags: ['reload'] });
  const web = plan.hosts.find((h) => h.name === 'web')!;
  assert.equal(web.handlers.map((h) => [h.name, h.skippedByTags === true]), [['reload app', true], ['restart nginx', false]]);
});

test('--limit does not make a tag of another host unknown, and a tag nobody has is a plan problem', () => {
  assert.equal(buildPlan(project(), { limit: ['web'], tags: ['postgres'] }).problems, []);
  const { problems } = buildPlan(project(), { tags: ['ngnix'], skipTags: ['relaod'] });
  assert.equal(problems.map((p) => p.message), [
    '--tags ngnix: no task has this tag (did you mean nginx?; tags: always, app, debug, deep, inner, never, nginx, postgres, reload, restart, web)',
    '--skip-tags relaod: no task has this tag (did you mean reload?; tags: always, app, debug, deep, inner, never, nginx, postgres, reload, restart, web)',
  ]);
});

test('a bad tag is a plan problem naming the value and the call site, once however many hosts run it', () => {
  const p = createProject();
  const g = p.group('all', ['a', 'b']);
  g.shell('true', { tags: ['ok', 'web server'] });
  const r = recipe('r', (t) => { t.shell('true'); });
  g.use(r, undefined, { tags: 'a,b' });
  g.handler('h', (h) => h.shell('true'), { tags: ['all'] });
  g.handler('h2', (h) => h.shell('true', { tags: 'x' }));
  const { problems } = buildPlan(p);
  assert.equal(problems.map((x) => x.message), [
    'shell(): tag "web server" must be one plain word (letters, digits, _ - .)',
    'use(r): tag "a,b" must be one plain word (letters, digits, _ - .)',
    'handler "h": tag "all" is reserved: --tags all selects tasks by it, no task may carry it',
    'shell(): tags on an operation of a handler select nothing (handlers run when notified); give them to the handler: .handler(name, fn, { tags })',
  ]);
  for (const x of problems) {
    assert.ok(x.callSite, x.message);
    assert.match(x.callSite!.file, /tags\.spec\.ts$/);
  }
});

test.run();
