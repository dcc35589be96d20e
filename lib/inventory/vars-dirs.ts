import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { ShipshapeError } from '../errors.js';
import { resolveKeyPaths } from './connection.js';
import type { GroupData, InventoryData } from './types.js';
import { isObject } from './validate.js';
import { readYamlFile } from './yaml-file.js';

const EXTENSIONS = ['', '.yml', '.yaml', '.json'];

/**
 * The inventory with the variables of the `group_vars/` and `host_vars/` folders beside it
 * (`dir`) laid over each group's and host's own, as Ansible reads them: for a group `web`,
 * `group_vars/web`, `web.yml`, `web.yaml`, `web.json` (YAML, JSON is YAML too), or every
 * such file in a folder `group_vars/web/` (sorted by path, later wins); `group_vars/all`
 * for every host. Files for groups or hosts the inventory does not have are not read.
 *
 * @example
 * withVarsDirs(readIni('inventory/hosts'), 'inventory').groups!.web   // { hosts: [...], vars: { http_port: 8080 }, children: [] }
 */
export function withVarsDirs(data: InventoryData, dir: string): InventoryData {
  const groupDir = join(dir, 'group_vars');
  const hostDir = join(dir, 'host_vars');
  const hasGroupDir = isDir(groupDir);
  const hasHostDir = isDir(hostDir);
  if (!hasGroupDir && !hasHostDir) return data;
  const groups: Record<string, string[] | GroupData> = Object.assign(Object.create(null), data.groups);
  const hosts = Object.assign(Object.create(null), data.hosts) as NonNullable<InventoryData['hosts']>;
  const hostNames = new Set(Object.keys(hosts));
  const groupNames = new Set(['all', 'ungrouped', ...Object.keys(groups)]);
  for (const g of Object.values(groups)) {
    const d: GroupData = Array.isArray(g) ? { hosts: g } : g;
    for (const h of d.hosts ?? []) hostNames.add(h);
    for (const c of d.children ?? []) groupNames.add(c);
  }
  if (hasGroupDir) {
    for (const name of groupNames) {
      const vars = readVars(groupDir, name, dir);
      if (!vars) continue;
      const g = groups[name];
      const d: GroupData = g === undefined ? {} : Array.isArray(g) ? { hosts: g } : g;
      groups[name] = { ...d, vars: { ...d.vars, ...vars } };
    }
  }
  if (hasHostDir) {
    for (const name of hostNames) {
      const vars = readVars(hostDir, name, dir);
      if (vars) hosts[name] = { ...hosts[name], vars: { ...hosts[name]?.vars, ...vars } };
    }
  }
  return { hosts, groups };
}

function isDir(p: string): boolean {
  return statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** The variables of one group or host from its files in `base`, or undefined when it has none. */
function readVars(base: string, name: string, dir: string): Record<string, unknown> | undefined {
  // A name is one word, but may hold a slash: it must not lead out of the folder.
  if (name.includes('/') || name === '.' || name === '..') return undefined;
  const files: string[] = [];
  for (const ext of EXTENSIONS) {
    const p = join(base, name + ext);
    const st = statSync(p, { throwIfNoEntry: false });
    if (st?.isDirectory()) files.push(...filesIn(p));
    else if (st?.isFile()) files.push(p);
  }
  if (!files.length) return undefined;
  const out: Record<string, unknown> = {};
  for (const f of files) {
    const { value } = readYamlFile(f);
    if (value === null || value === undefined) continue;
    if (!isObject(value)) throw new ShipshapeError(`${f}: the file must hold variables, a mapping of name: value (got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)})`, { fix: 'write one variable a line, like http_port: 8080' });
    Object.assign(out, value);
  }
  return resolveKeyPaths(out, dir);
}

/** Vars files in a folder and its folders, sorted; hidden and backup (`~`) files are left out. */
function filesIn(folder: string): string[] {
  return readdirSync(folder).sort().flatMap((n) => {
    if (n.startsWith('.') || n.endsWith('~')) return [];
    const p = join(folder, n);
    if (isDir(p)) return filesIn(p);
    return EXTENSIONS.includes(extname(n)) ? [p] : [];
  });
}
