import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { didYouMean } from '../did-you-mean.js';
import { ShipshapeError } from '../errors.js';
import { resolveKeyPaths } from './connection.js';
import { expandHostPattern } from './host-range.js';
import type { HostOptions, InventoryData } from './types.js';
import { checkKeyName, checkName, isObject, Problems, sub } from './validate.js';

/**
 * Runs an Ansible dynamic inventory script with `--list` and reads its JSON.
 *
 * @example
 * runInventoryScript('./inventory.py')   // { webservers: { hosts: ['web-01'] }, _meta: { hostvars: {...} } }
 */
export function runInventoryScript(file: string): unknown {
  let out: string;
  try {
    out = execFileSync(resolve(file), ['--list'], { cwd: dirname(resolve(file)), encoding: 'utf8', timeout: 60_000 });
  } catch (e) {
    const err = e as { stderr?: string; status?: number; message: string };
    throw new ShipshapeError(`inventory script ${file} failed`, { command: `${file} --list`, exitCode: err.status, stderr: err.stderr ?? err.message, fix: 'make it executable (chmod +x) and check that it prints JSON for --list' });
  }
  try {
    return JSON.parse(out) as unknown;
  } catch {
    throw new ShipshapeError(`inventory script ${file} did not print JSON for --list`, { stdout: out });
  }
}

const GROUP_KEYS = ['hosts', 'vars', 'children'];
const YAML_FIX = 'an Ansible YAML inventory looks like all: { children: { web: { hosts: { web-01: { ansible_host: 10.0.0.5 } }, vars: { http_port: 80 } } } }, one key a line';
const FIX = 'Ansible inventory JSON looks like { "web": { "hosts": ["web-01"], "vars": {}, "children": [] }, "_meta": { "hostvars": { "web-01": { "ansible_host": "10.0.0.5" } } } }';

interface Group { hosts: string[]; vars: Record<string, unknown>; children: string[] }

/**
 * Reads the groups of Ansible inventory JSON: the script form (`hosts` a list, `children` a
 * list of names) and the static form (`hosts` an object of host: vars, `children` an object
 * of nested groups). Host variables given in a `hosts` object go to `hostvars`.
 */
function readGroups(p: Problems, list: Record<string, unknown>, hostvars: Record<string, Record<string, unknown>>): Map<string, Group> {
  const groups = new Map<string, Group>();
  const readGroup = (name: string, raw: unknown, at: string) => {
    const g = groups.get(name) ?? { hosts: [], vars: {}, children: [] };
    groups.set(name, g);
    if (raw === null || raw === undefined) return;
    // The old script form: a group is just the list of its hosts.
    if (Array.isArray(raw)) { raw.forEach((h, i) => { if (checkName(p, sub(at, i), h)) g.hosts.push(h); }); return; }
    if (!isObject(raw)) { p.add(at, 'must be a group: an object with hosts, vars and children, or a list of host names', raw); return; }
    for (const k of Object.keys(raw)) if (!GROUP_KEYS.includes(k)) p.add(sub(at, k), `is not part of a group${didYouMean(k, GROUP_KEYS) || ' (a group has hosts, vars and children)'}`, undefined, false);
    const { hosts, vars, children } = raw;
    if (Array.isArray(hosts)) hosts.forEach((h, i) => { if (checkName(p, sub(sub(at, 'hosts'), i), h)) g.hosts.push(h); });
    else if (isObject(hosts)) {
      for (const [pattern, hv] of Object.entries(hosts)) {
        const hat = sub(sub(at, 'hosts'), pattern);
        if (!checkKeyName(p, hat, pattern, 'host name')) continue;
        // The static form (YAML, JSON files) takes Ansible's host patterns: web[01:10], web-01:2222.
        const x = expandHostPattern(pattern);
        if ('error' in x) { p.add(hat, x.error, undefined, false); continue; }
        if (hv !== null && hv !== undefined && !isObject(hv)) { p.add(hat, 'must be an object of host variables (or null)', hv); continue; }
        for (const h of x.names) {
          if (!checkKeyName(p, hat, h, 'host name')) continue;
          g.hosts.push(h);
          const own = { ...(x.port === undefined ? {} : { ansible_port: x.port }), ...(hv ?? {}) };
          if (Object.keys(own).length) hostvars[h] = { ...hostvars[h], ...own };
        }
      }
    } else if (hosts !== undefined && hosts !== null) p.add(sub(at, 'hosts'), 'must be a list of host names, or an object of host name: variables', hosts);
    if (isObject(vars)) Object.assign(g.vars, vars);
    else if (vars !== undefined && vars !== null) p.add(sub(at, 'vars'), 'must be an object of variables', vars);
    if (Array.isArray(children)) children.forEach((c, i) => { if (checkName(p, sub(sub(at, 'children'), i), c)) g.children.push(c); });
    else if (isObject(children)) {
      for (const [c, def] of Object.entries(children)) {
        if (!checkKeyName(p, sub(sub(at, 'children'), c), c, 'group name')) continue;
        g.children.push(c);
        readGroup(c, def, sub(sub(at, 'children'), c));
      }
    } else if (children !== undefined && children !== null) p.add(sub(at, 'children'), 'must be a list of group names, or an object of group name: group', children);
  };
  for (const [name, raw] of Object.entries(list)) {
    if (name === '_meta') continue;
    if (checkKeyName(p, sub('', name), name, 'group name')) readGroup(name, raw, sub('', name));
  }
  return groups;
}

/** The hostvars of `_meta`, checked: an object of host name: object. */
function readHostvars(p: Problems, meta: unknown): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = Object.create(null);
  if (meta === undefined || meta === null) return out;
  if (!isObject(meta)) { p.add('_meta', 'must be an object with hostvars', meta); return out; }
  const hv = meta.hostvars;
  if (hv === undefined || hv === null) return out;
  if (!isObject(hv)) { p.add('_meta.hostvars', 'must be an object of host name: variables', hv); return out; }
  for (const [h, vars] of Object.entries(hv)) {
    const at = sub('_meta.hostvars', h);
    if (!checkKeyName(p, at, h, 'host name')) continue;
    if (!isObject(vars)) { p.add(at, 'must be an object of variables', vars); continue; }
    out[h] = vars;
  }
  return out;
}

/**
 * Converts Ansible's inventory JSON (`hosts`, `vars`, `children`, `_meta.hostvars`; the
 * static form of YAML files too) into shipshape's inventory: groups with their own hosts,
 * vars and children, hosts with their own vars. Connection variables (ansible_host, ...) are
 * read when the inventory resolves; relative key paths resolve from the file's folder here.
 * Every malformed field is named in one error (`inventory.py --list: web.hosts must be ...`).
 *
 * @example
 * fromAnsible('inventory.py', runInventoryScript('inventory.py')).groups!.web   // { hosts: ['web-01'], vars: {}, children: [] }
 */
export function fromAnsible(file: string, list: unknown, source = file, lineOf?: (field: string) => number | undefined): InventoryData {
  const p = new Problems(source, lineOf);
  const fix = /\.ya?ml$/i.test(file) ? YAML_FIX : FIX;
  if (!isObject(list)) {
    p.add('the top level', 'must be an object of groups (and _meta)', list);
    p.throwIfAny(fix);
  }
  const data = list as Record<string, unknown>;
  const hostvars = readHostvars(p, data._meta);
  const groups = readGroups(p, data, hostvars);
  p.throwIfAny(fix);
  const dir = dirname(resolve(file));
  const hosts: Record<string, HostOptions> = Object.create(null);
  for (const g of groups.values()) for (const h of g.hosts) hosts[h] = { vars: {} };
  for (const [h, vars] of Object.entries(hostvars)) hosts[h] = { vars: resolveKeyPaths({ ...vars }, dir) };
  const out: Record<string, { hosts: string[]; vars: Record<string, unknown>; children: string[] }> = Object.create(null);
  for (const [name, g] of groups) out[name] = { hosts: [...new Set(g.hosts)], vars: resolveKeyPaths(g.vars, dir), children: [...new Set(g.children)] };
  return { hosts, groups: out };
}
