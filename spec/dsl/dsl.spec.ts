import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../lib/dsl/project.js';
import { recipe, required } from '../../lib/dsl/recipe.js';
import { buildPlan } from '../../lib/plan/build.js';

test('every operation records the user\'s call site', () => {
  const p = createProject();
  const line = Number(new Error().stack!.split('\n')[1]!.match(/:(\d+):\d+\)?$/)![1]) + 1;
  p.host('a').file('/etc/motd', { content: 'x' });
  const op = p.hostTargets.get('a')!.target.ops[0]!;
  assert.ok(op.task.callSite!.file.endsWith('spec/dsl/dsl.spec.ts'));
  assert.is(op.task.callSite!.line, line);
});

test('methods chain and host() returns the same target for the same name', () => {
  const p = createProject();
  const t = p.host('a').apt('htop').file('/x', { content: '' });
  assert.is(t, p.host('a'));
  assert.equal(t.ops.map((o) => o.task.kind), ['apt', 'file']);
  assert.equal(t.ops[0]!.task.args, { packages: ['htop'] });
});

test('a recipe applies its operations, and a missing required param is a plan problem with the fix', () => {
  const motd = recipe('motd', (t, prm: { text?: string }) => { t.file('/etc/motd', { content: required(prm, 'text', 'the message') }); });
  const p = createProject();
  p.host('a', { transport: 'local' }).use(motd, { text: 'hi\n' });
  p.host('b', { transport: 'local' }).use(motd, {});
  assert.is(p.host('a').ops.length, 1);
  const { problems } = buildPlan(p);
  assert.is(problems.length, 1);
  assert.match(problems[0]!.message, 'recipe motd: param text is required: the message (pass { text: … } to use())');
  assert.ok(problems[0]!.callSite!.file.endsWith('dsl.spec.ts'));
});

test('become set on a target applies to its operations unless an operation says otherwise', () => {
  const p = createProject();
  p.group('g', ['a']).become().file('/x', { content: '' }).file('/y', { content: '', become: 'www' });
  p.host('a').file('/z', { content: '' });
  const { plan } = buildPlan(p);
  assert.equal(plan.hosts[0]!.tasks.map((t) => t.become), [true, 'www', undefined]);
});

test('a group with no members and no inventory group is a plan problem', () => {
  const p = createProject();
  p.group('webservers').apt('nginx');
  const { problems } = buildPlan(p);
  assert.match(problems[0]!.message, 'group "webservers" has no hosts');
});

test('an inventory that cannot be read is a plan problem at the load() line, not a crash', () => {
  const p = createProject();
  p.inventory.load('/no/such/cluster.json');
  p.host('a', { transport: 'local' }).shell('true');
  const { problems } = buildPlan(p);
  assert.is(problems.length, 1);
  assert.match(problems[0]!.message, 'inventory: inventory /no/such/cluster.json does not exist');
  assert.ok(problems[0]!.callSite!.file.endsWith('dsl.spec.ts'));
});

test.run();
