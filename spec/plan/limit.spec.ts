// --limit with Ansible's patterns: a table over one inventory, then through deploy's plan.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../lib/dsl/project.js';
import { buildPlan } from '../../lib/plan/build.js';
import { selectHosts } from '../../lib/plan/limit.js';
import { selectHosts as adHocHosts } from '../../lib/engine/ad-hoc.js';
import { Inventory } from '../../lib/inventory/inventory.js';
import { tmpDir } from '../support/tmp.js';

const hosts = ['web-01', 'web-02', 'web-10', 'db-01', 'staging-web'];
const groups: Record<string, string[]> = { web: ['web-01', 'web-02', 'web-10'], staging: ['web-02', 'staging-web'], db: ['db-01'] };
const sel = (...p: string[]) => {
  const r = selectHosts(p, hosts, (g) => groups[g], Object.keys(groups));
  return { hosts: [...r.hosts].sort(), problems: r.problems };
};

const table: [string[], string[]][] = [
  [['web-01'], ['web-01']],
  [['web'], ['web-01', 'web-02', 'web-10']],
  [['web-*'], ['web-01', 'web-02', 'web-10']],
  [['web-0?'], ['web-01', 'web-02']],
  [['web-[13]*'], ['web-10']],
  [['web-[5-9]*'], []],
  [['*-01'], ['db-01', 'web-01']],
  [['st*'], ['staging-web', 'web-02']],
  [['!web-01'], ['db-01', 'staging-web', 'web-02', 'web-10']],
  [['web', '!web-01'], ['web-02', 'web-10']],
  [['web', '&staging'], ['web-02']],
  [['all-of', '!x'], []],
  [['~^web-0[12]$'], ['web-01', 'web-02']],
  [['db', 'web-10'], ['db-01', 'web-10']],
];

test('patterns select as Ansible: names, groups, globs over hosts and groups, regex, ! and &', () => {
  for (const [p, want] of table) {
    const r = sel(...p);
    if (want.length === 0) { assert.ok(r.problems.length > 0, `${p.join(',')} is a problem`); continue; }
    assert.equal(r.problems, [], p.join(','));
    assert.equal(r.hosts, want, p.join(','));
  }
});

test('a pattern that matches nothing names itself and the hosts; an empty selection is an error', () => {
  assert.equal(sel('wbe-01').problems, ['--limit "wbe-01" names no host or group of this plan (hosts: web-01, web-02, web-10, db-01, staging-web)']);
  assert.equal(sel('!nope').problems, ['--limit "!nope" names no host or group of this plan (hosts: web-01, web-02, web-10, db-01, staging-web)']);
  assert.equal(sel('web-01', '!web').problems, ['--limit web-01,!web selects no host (hosts: web-01, web-02, web-10, db-01, staging-web)']);
  assert.match(sel('~(').problems[0]!, /--limit "~\(" is not a valid regular expression/);
});

test('@file reads one pattern a line (blank lines and # comments skipped); a missing file is a problem', () => {
  const d = tmpDir();
  const f = join(d.dir, 'hosts.txt');
  writeFileSync(f, '# the canary\nweb-10\n\ndb-01\n');
  assert.equal(sel(`@${f}`).hosts, ['db-01', 'web-10']);
  assert.match(sel(`@${d.dir}/none.txt`).problems[0]!, /^--limit @.*none\.txt: cannot read/);
  d.cleanup();
});

test('the plan keeps only the selected hosts', () => {
  const p = createProject();
  for (const h of hosts) p.host(h, { transport: 'local' }).shell('true');
  p.group('web', ['web-01', 'web-02', 'web-10']).shell('true');
  const { plan, problems } = buildPlan(p, { limit: ['web-*', '!web-02'] });
  assert.equal(problems, []);
  assert.equal(plan.hosts.map((h) => h.name).sort(), ['web-01', 'web-10']);
  assert.equal(buildPlan(p, { limit: ['nope*'] }).problems.map((x) => x.message), ['--limit "nope*" names no host or group of this plan (hosts: web-01, web-02, web-10, db-01, staging-web)']);
});

test('exec and facts take the same patterns; a plain unknown name gets the closest one', () => {
  const inv = new Inventory().add({ hosts: Object.fromEntries(hosts.map((h) => [h, { transport: 'local' as const }])), groups });
  assert.equal(adHocHosts(inv, ['web', '!web-10']).map((h) => h.name), ['web-01', 'web-02']);
  assert.equal(adHocHosts(inv, undefined).length, hosts.length);
  assert.throws(() => adHocHosts(inv, ['web-1']), /--limit "web-1" names no host or group of the inventory \(did you mean web-01\?\)/);
  assert.throws(() => adHocHosts(inv, ['db*', '&web']), /selects no host/);
});

test.run();
