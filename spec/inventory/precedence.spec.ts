// Which variable wins, as a table: each row defines one variable at some levels; the highest
// level's value must be what a template renders (and what the inventory and plan hold below it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject } from '../../lib/engine/deploy.js';
import { buildPlan } from '../../lib/plan/build.js';
import type { HostPlan } from '../../lib/plan/types.js';
import { CountingTransport } from '../support/counting-transport.js';
import { tmpDir } from '../support/tmp.js';

/** Lowest first, as README's precedence list. `alpha` and `web` are both children of `prod`: same depth, by name. */
const LEVELS = ['all-inline', 'all-file', 'prod-inline', 'prod-file', 'alpha-inline', 'alpha-file', 'web-inline', 'web-file', 'host-inline', 'host-file', 'code', 'op'] as const;
type Level = typeof LEVELS[number];

const ROWS: Level[][] = [
  ['all-inline'],
  ['all-inline', 'all-file'],
  ['all-file', 'prod-inline'],
  ['prod-inline', 'prod-file'],
  ['prod-file', 'web-inline'],
  ['alpha-inline', 'web-inline'],
  ['alpha-file', 'web-inline'],
  ['web-inline', 'web-file'],
  ['web-file', 'host-inline'],
  ['all-file', 'host-inline'],
  ['host-inline', 'host-file'],
  ['host-file', 'code'],
  ['code', 'op'],
  [...LEVELS],
  LEVELS.filter((l) => l !== 'code' && l !== 'op'),
  // Written in the other order: the level decides, not the order of the table.
  ['web-file', 'prod-inline', 'all-inline'],
];

const { dir, cleanup } = tmpDir('shipshape-precedence-');
process.on('exit', cleanup);

/** Lines `v<row>=<level>` (or `v<row>: <level>`) for the rows that define a variable at `level`. */
const at = (level: Level, sep: string) => ROWS.flatMap((r, i) => (r.includes(level) ? [`v${i}${sep}${level}`] : []));
const vars = (level: Level) => Object.fromEntries(ROWS.flatMap((r, i) => (r.includes(level) ? [[`v${i}`, level]] : [])));

function writeInventory(): string {
  mkdirSync(join(dir, 'group_vars'));
  mkdirSync(join(dir, 'host_vars'));
  writeFileSync(join(dir, 'hosts'), [
    `localhost ansible_connection=local ${at('host-inline', '=').join(' ')}`,
    '[web]', 'localhost', '[alpha]', 'localhost', '[prod:children]', 'web', 'alpha',
    '[all:vars]', ...at('all-inline', '='), '[prod:vars]', ...at('prod-inline', '='),
    '[alpha:vars]', ...at('alpha-inline', '='), '[web:vars]', ...at('web-inline', '='), '',
  ].join('\n'));
  for (const g of ['all', 'prod', 'alpha', 'web'] as const) writeFileSync(join(dir, 'group_vars', `${g}.yml`), `${at(`${g}-file`, ': ').join('\n')}\n`);
  writeFileSync(join(dir, 'host_vars', 'localhost.yml'), `${at('host-file', ': ').join('\n')}\n`);
  writeFileSync(join(dir, 'all.mustache'), ROWS.map((_, i) => `{{v${i}}}`).join('\n'));
  return join(dir, 'hosts');
}

let rendered: Promise<{ inventory: Record<string, unknown>; plan: Record<string, unknown>; template: string[] }> | undefined;
function render() {
  rendered ??= (async () => {
    const p = createProject();
    p.inventory.load(writeInventory());
    const out = join(dir, 'rendered.txt');
    p.host('localhost', { vars: vars('code') }).template(join(dir, 'all.mustache'), out, { vars: vars('op') });
    const inventory = p.inventory.hosts.get('localhost')!.vars!;
    const plan = buildPlan(p).plan.hosts[0]!.options.vars!;
    const r = await deployProject(p, { argv: [], keepExitCode: true, reporter: () => undefined, connect: async (h: HostPlan) => new CountingTransport(h.name) });
    assert.ok(r.ok, JSON.stringify(r));
    return { inventory, plan, template: readFileSync(out, 'utf8').split('\n') };
  })();
  return rendered;
}

const highest = (row: Level[]) => LEVELS.filter((l) => row.includes(l)).pop()!;
const highestBelow = (row: Level[], ceiling: Level[]) => LEVELS.filter((l) => row.includes(l) && !ceiling.includes(l)).pop();

ROWS.forEach((row, i) => {
  const win = highest(row);
  test(`${win} wins over ${row.filter((l) => l !== win).join(', ') || 'nothing'}`, async () => {
    const { inventory, plan, template } = await render();
    assert.is(template[i], win, `v${i} rendered`);
    assert.is(plan[`v${i}`], highestBelow(row, ['op']), `v${i} in the plan (code, not op)`);
    assert.is(inventory[`v${i}`], highestBelow(row, ['op', 'code']), `v${i} in the inventory`);
  });
});

test('connection variables follow the same order: a host line over group vars, host_vars over the host line', async () => {
  const { dir: d, cleanup: c } = tmpDir();
  try {
    mkdirSync(join(d, 'group_vars'));
    mkdirSync(join(d, 'host_vars'));
    writeFileSync(join(d, 'hosts'), '[web]\nw1 ansible_user=line\nw2\nw3 ansible_user=line\n[web:vars]\nansible_user=group\n');
    writeFileSync(join(d, 'host_vars', 'w3.yml'), 'ansible_user: file\n');
    const p = createProject();
    p.inventory.load(join(d, 'hosts'));
    assert.equal(['w1', 'w2', 'w3'].map((h) => p.inventory.hosts.get(h)!.user), ['line', 'group', 'file']);
  } finally { c(); }
});

test.run();
