/**
 * Where a host's variables come from, and which wins: the one place that decides it.
 * Lowest first, as Ansible's:
 *
 * 1. group `all` (its inline vars, then group_vars/all),
 * 2. every other group the host is in, directly or through children: by depth (a parent
 *    before its child), groups of the same depth by name, later wins; a group's
 *    group_vars/ files over its inline vars,
 * 3. the host's inline vars, then its host_vars/ files,
 * 4. `host(name, { vars })` in code (see {@link Inventory.varsOf}),
 * 5. an op's own `vars` (template, systemdUnit: laid over these when it renders).
 *
 * Values replace, they are not deep-merged (Ansible's default `hash_behaviour=replace`).
 * Connection variables (ansible_host, ansible_port, ...) follow the same order; options a
 * host is given as such (cluster.json's, an object's `address`) count as host level.
 */
import { connectionOf } from './connection.js';
import type { HostOptions } from './types.js';
import type { Problems } from './validate.js';

/** A group as the inventory keeps it: hosts listed in it directly, child groups, own vars. */
export interface GroupModel { hosts: string[]; children: string[]; vars: Record<string, unknown> }

/** Everything loaded: each host's options and own vars, each group. */
export interface InventoryModel { hosts: Map<string, HostOptions>; groups: Map<string, GroupModel> }

/** The model read for use: parents, depths, and what each name stands for. */
export interface ResolvedInventory {
  /** Every host's options, with `vars` merged from every level. */
  hosts: Map<string, HostOptions>;
  /** Every group's hosts, its children's included (`all`: every host). */
  members: Map<string, Set<string>>;
  /** The groups as a tree: `all` at the top, groups without a parent under it. */
  tree: Map<string, GroupModel>;
  /** A group's variables: its own over its parents' (what `group(name).vars` gives). */
  groupVars(name: string): Record<string, unknown>;
}

/**
 * Variables merged lowest first: a later layer's value replaces an earlier one's.
 *
 * @example
 * mergeVars([{ port: 80, tier: 'web' }, { port: 8080 }])   // { port: 8080, tier: 'web' }
 */
export function mergeVars(layers: readonly (Record<string, unknown> | undefined)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const l of layers) for (const [k, v] of Object.entries(l ?? {})) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * Resolves the model: the tree under `all` (hosts in no group go to `ungrouped`), group
 * depths, every host's merged vars and connection options. A group inside itself is a problem.
 *
 * @example
 * resolveInventory({ hosts, groups }, new Problems('hosts.ini')).hosts.get('web-01')!.vars
 */
export function resolveInventory(model: InventoryModel, p: Problems): ResolvedInventory {
  const tree = new Map<string, GroupModel>();
  for (const [name, g] of model.groups) tree.set(name, { hosts: [...g.hosts], children: [...g.children], vars: g.vars });
  for (const g of [...tree.values()]) for (const c of g.children) if (!tree.has(c)) tree.set(c, { hosts: [], children: [], vars: {} });
  const all = tree.get('all') ?? { hosts: [], children: [], vars: {} };
  tree.set('all', all);
  // Ansible: a host is in `ungrouped` only while it is in no other group.
  const grouped = new Set<string>();
  for (const [name, g] of tree) if (name !== 'all' && name !== 'ungrouped') for (const h of g.hosts) grouped.add(h);
  const ungrouped = [...new Set([...model.hosts.keys(), ...(tree.get('ungrouped')?.hosts ?? []), ...all.hosts])].filter((h) => !grouped.has(h));
  // As in Ansible, the tree always has `ungrouped`; the members only when it has hosts or was named.
  const namedUngrouped = tree.has('ungrouped');
  tree.set('ungrouped', { ...(tree.get('ungrouped') ?? { children: [], vars: {} }), hosts: ungrouped });
  all.hosts = [];

  const parents = new Map<string, string[]>();
  for (const [name, g] of tree) for (const c of g.children) parents.set(c, [...(parents.get(c) ?? []), name]);
  for (const name of tree.keys()) if (name !== 'all' && !parents.get(name)?.length) { all.children.push(name); parents.set(name, ['all']); }

  // Depth: the longest way down from all; a way back to a group already on it is a loop.
  const depth = new Map<string, number>();
  const loops = new Set<string>();
  const walk = (name: string, d: number, path: string[]) => {
    if (path.includes(name)) {
      const loop = [...path.slice(path.indexOf(name)), name].join(' > ');
      if (!loops.has(loop)) { loops.add(loop); p.note(`group ${JSON.stringify(name)} is inside itself (${loop}): remove one of these children`); }
      return;
    }
    if ((depth.get(name) ?? -1) >= d) return;
    depth.set(name, d);
    for (const c of tree.get(name)?.children ?? []) walk(c, d + 1, [...path, name]);
  };
  walk('all', 0, []);
  // Groups only reachable from each other are a loop too.
  for (const name of tree.keys()) if (!depth.has(name)) walk(name, 1, []);

  const ancestors = (name: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(name)) return seen;
    seen.add(name);
    for (const q of parents.get(name) ?? []) ancestors(q, seen);
    return seen;
  };
  const ordered = (groups: Iterable<string>) => [...groups].sort((a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));

  const members = new Map<string, Set<string>>();
  const membersOf = (name: string, out: Set<string>, seen: Set<string>): Set<string> => {
    if (seen.has(name)) return out;
    seen.add(name);
    const g = tree.get(name)!;
    for (const h of g.hosts) out.add(h);
    for (const c of g.children) membersOf(c, out, seen);
    return out;
  };
  for (const name of tree.keys()) {
    if (name === 'all' || (name === 'ungrouped' && !namedUngrouped && !ungrouped.length)) continue;
    members.set(name, membersOf(name, new Set(), new Set()));
  }
  members.set('all', new Set(model.hosts.keys()));

  const groupsOfHost = new Map<string, Set<string>>();
  for (const [name, g] of tree) for (const h of g.hosts) {
    const set = groupsOfHost.get(h) ?? new Set<string>();
    ancestors(name, set);
    groupsOfHost.set(h, set);
  }

  const hosts = new Map<string, HostOptions>();
  for (const [name, own] of model.hosts) {
    const { vars: hostVars, ...given } = own;
    const groupVars = mergeVars(ordered(groupsOfHost.get(name) ?? ['all']).map((g) => tree.get(g)?.vars));
    const vars = mergeVars([groupVars, hostVars]);
    hosts.set(name, { ...connectionOf(p, name, groupVars), ...given, ...connectionOf(p, name, hostVars ?? {}), vars });
  }
  return {
    hosts,
    members,
    tree,
    groupVars: (name) => mergeVars(ordered(ancestors(tree.has(name) ? name : 'all')).map((g) => tree.get(g)?.vars)),
  };
}
