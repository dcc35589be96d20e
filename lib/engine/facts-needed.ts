// Which extended fact groups a host's plan may read, so a plan that reads none pays for none.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FACT_GROUPS, type FactGroup } from '../ops/fact-types.js';
import { templateVariables } from '../ops/template.js';
import type { HostPlan, Task } from '../plan/types.js';

const isGroup = (s: string | undefined): s is FactGroup => (FACT_GROUPS as readonly string[]).includes(s ?? '');

/**
 * The groups a template's text names: `facts.memory…` names memory; a `{{#facts}}` section
 * (where `{{memory.totalMb}}` would read facts) names them all. A file that cannot be read
 * names all: better a few KB more than a template that fails on an ungathered group.
 */
function templateGroups(src: unknown, baseDir: string): FactGroup[] {
  let text: string;
  try {
    if (typeof src === 'string') text = readFileSync(resolve(baseDir, src), 'utf8');
    else if (src !== null && typeof src === 'object' && typeof (src as { inline?: unknown }).inline === 'string') text = (src as { inline: string }).inline;
    else return [];
    const names = templateVariables(text);
    if (names.includes('facts')) return [...FACT_GROUPS];
    return names.map((n) => n.split('.')).filter((p) => p[0] === 'facts').map((p) => p[1]).filter(isGroup);
  } catch {
    return [...FACT_GROUPS];
  }
}

function taskGroups(t: Task): FactGroup[] {
  // A `when` cannot be looked into: it may read any group.
  if (t.options.when) return [...FACT_GROUPS];
  const keys = t.op.keys as Record<string, string>;
  const args = (t.args ?? {}) as Record<string, unknown>;
  return Object.keys(keys).filter((k) => keys[k] === 'template' && args[k] !== undefined).flatMap((k) => templateGroups(args[k], t.baseDir));
}

/**
 * The extended fact groups the batched probe gathers on a host: all of them when any of its
 * tasks or handler tasks has a `when` (a callback cannot be inspected), else those its
 * templates name as `facts.<group>`; none for a plan that reads neither. (`until` receives
 * the attempt's result, not facts.)
 *
 * @example
 * factGroupsNeeded(plan.hosts[0])   // [] for host('web-01').apt(['nginx']); all groups once a task has when
 */
export function factGroupsNeeded(host: HostPlan): FactGroup[] {
  const need = new Set<FactGroup>();
  for (const t of [...host.tasks, ...host.handlers.flatMap((h) => h.tasks)]) {
    for (const g of taskGroups(t)) need.add(g);
    if (need.size === FACT_GROUPS.length) break;
  }
  return FACT_GROUPS.filter((g) => need.has(g));
}
