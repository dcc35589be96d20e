// Group variables in object inventories, and `t.vars` in recipes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProject } from '../../lib/dsl/project.js';
import { recipe } from '../../lib/dsl/recipe.js';
import { Inventory } from '../../lib/inventory/inventory.js';
import { buildPlan } from '../../lib/plan/build.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

test('an object inventory takes a group as { hosts, vars, children } next to a list of names', () => {
  const inv = new Inventory().load({
    hosts: { 'web-01': { address: '10.77.0.5', vars: { http_port: 8080 } } },
    groups: {
      web: { hosts: ['web-01', 'web-02'], vars: { http_port: 80, tier: 'front' } },
      db: ['db-01'],
      prod: { children: ['web', 'db'], vars: { env: 'production', tier: 'unset' } },
    },
  });
  assert.equal([...inv.groups.get('prod')!], ['web-01', 'web-02', 'db-01']);
  assert.equal(inv.hosts.get('web-01'), { address: '10.77.0.5', vars: { env: 'production', tier: 'front', http_port: 8080 } });
  assert.equal(inv.hosts.get('web-02')!.vars, { env: 'production', tier: 'front', http_port: 80 });
  assert.equal(inv.hosts.get('db-01')!.vars, { env: 'production', tier: 'unset' });
  assert.equal(inv.groupVars('web'), { env: 'production', tier: 'front', http_port: 80 });
});

test('ansible_* variables of an object inventory set the connection; given options are host level', () => {
  const inv = new Inventory().load({
    hosts: { a: { user: 'given' }, b: { user: 'given', vars: { ansible_user: 'host-var' } } },
    groups: { g: { hosts: ['a', 'b', 'c'], vars: { ansible_user: 'group', ansible_port: 2222, ansible_become: true } } },
  });
  assert.equal(['a', 'b', 'c'].map((h) => inv.hosts.get(h)!.user), ['given', 'host-var', 'group']);
  assert.equal([inv.hosts.get('c')!.port, inv.hosts.get('c')!.become], [2222, true]);
});

test('a group object with a misspelled key or a bad field is an error naming it', () => {
  assert.throws(() => new Inventory().load({ groups: { web: { host: ['a'] } as never } }), /groups\.web\.host is not part of a group \(did you mean hosts\?\)/);
  assert.throws(() => new Inventory().load({ groups: { web: { hosts: 'a' } as never } }), /groups\.web\.hosts must be a list of host names \(got "a"\)/);
  assert.throws(() => new Inventory().load({ groups: { web: { vars: [1] } as never } }), /groups\.web\.vars must be an object of variables/);
});

test('t.vars in a recipe: a host target gets its merged variables, code over inventory', () => {
  const motd = recipe('motd', (t) => { t.file('/etc/motd', { content: `${t.name} ${t.vars.tier} ${t.vars.http_port} ${t.vars.timezone}\n` }); });
  const p = createProject();
  p.inventory.load(join(FIXTURES, 'ini/hosts'));
  p.host('web02.example.com', { vars: { http_port: 5000 } }).use(motd, {});
  const { plan, problems } = buildPlan(p);
  assert.equal(problems, []);
  assert.is((plan.hosts[0]!.tasks[0]!.args as { content: string }).content, 'web02.example.com front 5000 UTC\n');
});

test('t.vars on a group target is the group\'s own variables over its parents\'', () => {
  const seen: Record<string, unknown>[] = [];
  const p = createProject();
  p.inventory.load(join(FIXTURES, 'ini/hosts'));
  p.group('web').use(recipe('look', (t) => { seen.push(t.vars); }), {});
  p.group('prod').use(recipe('look', (t) => { seen.push(t.vars); }), {});
  assert.equal([seen[0]!.tier, seen[0]!.http_port, seen[0]!.env, seen[0]!.ntp_server], ['front', 8080, 'production', 'time.example.org']);
  assert.equal([seen[1]!.tier, seen[1]!.http_port], ['unset', undefined]);
});

test('t.vars is read when called: before inventory.load() it has only what code gave', () => {
  const p = createProject();
  const t = p.host('web02.example.com', { vars: { own: 1 } });
  assert.equal(t.vars, { own: 1 });
  p.inventory.load(join(FIXTURES, 'ini/hosts'));
  assert.is(t.vars.tier, 'front');
  assert.is(t.vars.own, 1);
});

test('a host only in code gets the variables of group all', () => {
  const p = createProject();
  p.inventory.load(join(FIXTURES, 'ini/hosts'));
  p.host('elsewhere', { transport: 'local' }).file('/tmp/x', { content: 'x' });
  assert.equal(buildPlan(p).plan.hosts[0]!.options.vars, { ntp_server: 'time.example.org', timezone: 'UTC' });
});

test.run();
