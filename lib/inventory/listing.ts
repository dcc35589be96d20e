// What `shipshape inventory` prints, in the shapes of `ansible-inventory --list` and `--graph`.
import type { Inventory } from './inventory.js';

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The inventory as `ansible-inventory --list` prints it: `_meta.hostvars` (each host's merged
 * variables, hosts without any left out), `all.children`, and each group's own `hosts` and
 * `children` (empty keys and empty groups left out).
 *
 * @example
 * inventoryList(inv)   // { _meta: { hostvars: { 'web-01': { http_port: 80 } } }, all: { children: ['ungrouped', 'web'] }, web: { hosts: ['web-01'] } }
 */
export function inventoryList(inv: Inventory): Record<string, unknown> {
  const hostvars: Record<string, unknown> = {};
  for (const [name, h] of inv.hosts) if (h.vars && Object.keys(h.vars).length) hostvars[name] = h.vars;
  const out: Record<string, unknown> = { _meta: { hostvars } };
  const tree = inv.tree();
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const g = tree.get(name);
    if (!g) return;
    const entry: Record<string, string[]> = {};
    if (name !== 'all' && g.hosts.length) entry.hosts = [...g.hosts];
    const children = [...g.children].sort(byName);
    if (children.length) entry.children = children;
    if (Object.keys(entry).length) out[name] = entry;
    children.forEach(visit);
  };
  visit('all');
  return out;
}

/**
 * The tree as `ansible-inventory --graph` draws it: `@group:` lines, children groups before
 * hosts, both sorted, each level indented `  |`.
 *
 * @example
 * inventoryGraph(inv)
 * // @all:
 * //   |--@ungrouped:
 * //   |--@web:
 * //   |  |--web-01
 */
export function inventoryGraph(inv: Inventory, root = 'all'): string {
  const tree = inv.tree();
  const lines: string[] = [];
  const draw = (name: string, depth: number, path: string[]) => {
    const indent = (d: number) => (d ? `${'  |'.repeat(d)}--` : '');
    lines.push(`${indent(depth)}@${name}:`);
    const g = tree.get(name);
    if (!g || path.includes(name)) return;
    for (const c of [...g.children].sort(byName)) draw(c, depth + 1, [...path, name]);
    if (name !== 'all') for (const h of [...g.hosts].sort(byName)) lines.push(`${indent(depth + 1)}${h}`);
  };
  draw(root, 0, []);
  return lines.join('\n');
}
