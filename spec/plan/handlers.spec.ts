import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { createProject } from '../../lib/dsl/project.js';
import type { Target } from '../../lib/dsl/target.js';
import { recipe } from '../../lib/dsl/recipe.js';
import { buildPlan } from '../../lib/plan/build.js';
import { secret } from '../../lib/secret.js';
import { webapp } from '../../recipes/webapp/index.js';
import { nginxProxySite, nginxServer, RELOAD_NGINX } from '../../recipes/nginx/index.js';

const THIS_FILE = fileURLToPath(import.meta.url);
/** The line of the caller: put it on the same line as the call whose call site is asserted. */
const here = () => Number(/:(\d+):\d+\)?$/.exec(new Error().stack!.split('\n')[2]!)![1]);

test('a handler name declared twice with different operations is a plan problem naming both call sites', () => {
  const p = createProject();
  const a = p.host('a');
  const first = here(); a.handler('restart app', (h) => h.command(['supervisorctl', 'restart', 'app']));
  const second = here(); a.handler('restart app', (h) => h.command(['systemctl', 'restart', 'app']));
  const { problems, plan } = buildPlan(p);
  assert.is(problems.length, 1);
  const q = problems[0]!;
  assert.match(q.message, 'handler "restart app" is declared twice for host a with different operations');
  assert.match(q.message, `first at ${THIS_FILE}:${first}:`);
  assert.match(q.message, `again at ${THIS_FILE}:${second}:`);
  assert.is(q.host, 'a');
  assert.is(q.callSite?.line, second);
  assert.is(plan.hosts[0]!.handlers.length, 1, 'the first declaration stays in the plan');
});

test('a user\'s handler clashing with a recipe\'s is reported at the use() line and the handler line', () => {
  const p = createProject();
  const web = p.group('web', ['w1', 'w2']);
  const useLine = here(); web.use(webapp, {});
  const userLine = here(); web.handler('restart app', (h) => h.command(['systemctl', 'restart', 'myapp']));
  const { problems } = buildPlan(p);
  assert.is(problems.length, 1, 'once for the two hosts');
  assert.match(problems[0]!.message, 'handler "restart app" is declared twice for hosts w1, w2 with different operations');
  assert.match(problems[0]!.message, `first at ${THIS_FILE}:${useLine}:`);
  assert.match(problems[0]!.message, `again at ${THIS_FILE}:${userLine}:`);
});

test('identical declarations of a handler are one handler, wherever they were declared', () => {
  const p = createProject();
  const restart = (h: Target) => h.command(['supervisorctl', 'restart', 'app'], { name: 'restart it' });
  p.host('a').handler('restart app', restart).shell('true', { creates: '/x', notify: 'restart app' });
  p.group('g', ['a']).handler('restart app', restart);
  p.host('a').handler('with a secret', (h) => h.file('/etc/token', { content: secret('s3cr3t-value') }));
  p.host('a').handler('with a secret', (h) => h.file('/etc/token', { content: secret('s3cr3t-value') }));
  const { problems, plan } = buildPlan(p);
  assert.equal(problems, []);
  assert.equal(plan.hosts[0]!.handlers.map((h) => h.name), ['restart app', 'with a secret']);
});

test('handlers differing only in a secret\'s value, a when or become are different', () => {
  const pairs: [(h: Target) => void, (h: Target) => void][] = [
    [(h) => h.file('/t', { content: secret('one-value') }), (h) => h.file('/t', { content: secret('two-value') })],
    [(h) => h.shell('x', { when: (f) => f.init === 'systemd' }), (h) => h.shell('x', { when: (f) => f.init !== 'systemd' })],
    [(h) => h.shell('x', { become: 'www' }), (h) => h.shell('x')],
  ];
  for (const [x, y] of pairs) {
    const p = createProject();
    p.host('a').handler('h', x).handler('h', y);
    assert.is(buildPlan(p).problems.length, 1);
  }
});

test('the webapp applied twice, and both nginx recipes, declare their handlers once without a problem', () => {
  const p = createProject();
  p.group('web', ['w1']).use(webapp, {});
  p.host('w1').use(webapp, {});
  p.host('w2').use(nginxServer, {}).use(nginxProxySite, { port: 8000 });
  const { problems, plan } = buildPlan(p);
  assert.equal(problems, []);
  for (const h of plan.hosts) {
    const names = h.handlers.map((x) => x.name);
    assert.equal(names, [...new Set(names)], `${h.name}: each name once`);
    assert.ok(names.includes(RELOAD_NGINX));
  }
});

test('a recipe that fails yields its own problem only, not notify errors for the handlers it would have declared', () => {
  const p = createProject();
  const web = p.group('web', ['w1']);
  const useLine = here(); web.use(webapp, { appDir: '' });
  web.copy('handlers.spec.ts', '/opt/webapp/extra.py', { notify: 'restart app' });
  const { problems } = buildPlan(p);
  assert.is(problems.length, 1, JSON.stringify(problems.map((q) => q.message)));
  assert.match(problems[0]!.message, 'recipe webapp: param appDir is required');
  assert.is(problems[0]!.callSite?.line, useLine);
});

test('a recipe that fails partway adds neither operations nor handlers', () => {
  const half = recipe('half', (t) => {
    t.handler('h', (h) => h.shell('true')).shell('true', { creates: '/x' });
    throw new Error('boom');
  });
  const p = createProject();
  p.host('a').use(half, {});
  assert.is(p.host('a').ops.length, 0);
  assert.is(p.host('a').handlers.length, 0);
  assert.equal(buildPlan(p).problems.map((q) => q.message), ['recipe half: boom']);
});

test('problems independent of a failed recipe are still reported all at once', () => {
  const p = createProject();
  p.host('w1').use(webapp, { prot: 8080 } as never).shell('true', { creates: '/x', notify: 'restart app' }).file('/etc/x', { content: 'x', mode: 644 });
  p.host('w2').shell('true', { creates: '/x', notify: 'restart ap' }).handler('restart app', (h) => h.shell('true'));
  const text = buildPlan(p).problems.map((q) => `${q.host ?? '-'}: ${q.message}`);
  assert.equal(text, [
    '-: recipe webapp: unknown param prot (did you mean port?)',
    "w1: mode 644 is a decimal number: it gives mode 1204 on the host (did you mean 0o644 or '644'?)",
    'w2: notify "restart ap" names no handler of this host (handlers: restart app)',
  ]);
});

test.run();
