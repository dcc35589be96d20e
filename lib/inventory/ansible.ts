import { execFileSync } from 'node:child_process';
import { dirname, isAbsolute, resolve } from 'node:path';
import { didYouMean } from '../did-you-mean.js';
import { ShipshapeError } from '../errors.js';
import type { HostOptions, InventoryData } from './types.js';
import { checkKeyName, checkLine, checkName, checkPort, isObject, Problems, sub } from './validate.js';

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
      for (const [h, hv] of Object.entries(hosts)) {
        if (!checkKeyName(p, sub(sub(at, 'hosts'), h), h, 'host name')) continue;
        g.hosts.push(h);
        if (hv === null) continue;
        if (!isObject(hv)) p.add(sub(sub(at, 'hosts'), h), 'must be an object of host variables (or null)', hv);
        else hostvars[h] = { ...hv, ...hostvars[h] };
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

/** How shipshape reaches a host, from its Ansible variables (checked, named with the host). */
function connection(p: Problems, host: string, vars: Record<string, unknown>, dir: string): HostOptions {
  const pick = (...keys: string[]) => {
    const k = keys.find((x) => vars[x] !== undefined && vars[x] !== null);
    return k === undefined ? undefined : [`${k} of host ${JSON.stringify(host)}`, vars[k]] as const;
  };
  const o: HostOptions = { vars };
  const address = pick('ansible_host', 'ansible_ssh_host');
  if (address && checkLine(p, address[0], address[1], true)) o.address = address[1];
  const port = pick('ansible_port', 'ansible_ssh_port');
  if (port) o.port = checkPort(p, port[0], port[1], true);
  const user = pick('ansible_user', 'ansible_ssh_user');
  if (user && checkLine(p, user[0], user[1], true)) o.user = user[1];
  const key = pick('ansible_private_key_file', 'ansible_ssh_private_key_file');
  if (key && checkLine(p, key[0], key[1])) o.privateKey = isAbsolute(key[1]) || key[1].startsWith('~') ? key[1] : resolve(dir, key[1]);
  const conn = pick('ansible_connection');
  if (conn && checkLine(p, conn[0], conn[1], true) && conn[1] === 'local') o.transport = 'local';
  const become = pick('ansible_become');
  if (become) {
    const v = become[1];
    const yes = v === true || (typeof v === 'string' && /^(true|yes|1)$/i.test(v));
    const no = v === false || (typeof v === 'string' && /^(false|no|0)$/i.test(v));
    if (yes || no) o.become = yes;
    else p.add(become[0], 'must be true or false', v);
  }
  return o;
}

/**
 * Converts Ansible's inventory JSON (`hosts`, `vars`, `children`, `_meta.hostvars` with
 * ansible_host/port/user/private_key_file) into shipshape's inventory. Relative key paths
 * resolve from the inventory file's folder. Every malformed field is named in one error
 * (`inventory.py --list: web.hosts must be a list of host names, ...`).
 *
 * @example
 * fromAnsible('inventory.py', runInventoryScript('inventory.py')).hosts!['web-01']   // { address: '127.0.0.1', port: 22003, ... }
 */
export function fromAnsible(file: string, list: unknown, source = file): InventoryData {
  const p = new Problems(source);
  if (!isObject(list)) {
    p.add('the top level', 'must be an object of groups (and _meta)', list);
    p.throwIfAny(FIX);
  }
  const data = list as Record<string, unknown>;
  const hostvars = readHostvars(p, data._meta);
  const groups = readGroups(p, data, hostvars);
  // children: a group holds its children's hosts too.
  const expand = (name: string, seen: Set<string>): string[] => {
    const g = groups.get(name);
    if (!g || seen.has(name)) return [];
    seen.add(name);
    return [...new Set([...g.hosts, ...g.children.flatMap((c) => expand(c, seen))])];
  };
  const members: Record<string, string[]> = Object.create(null);
  for (const name of groups.keys()) members[name] = expand(name, new Set());
  const all = new Set<string>([...Object.keys(hostvars), ...Object.values(members).flat()]);
  members.all = [...all];
  const dir = dirname(resolve(file));
  // Group variables in the order the groups came, then the host's own.
  const groupsOf = new Map<string, string[]>();
  for (const [g, list] of Object.entries(members)) for (const h of list) { const gs = groupsOf.get(h) ?? []; gs.push(g); groupsOf.set(h, gs); }
  const hosts: Record<string, HostOptions> = Object.create(null);
  for (const h of all) {
    const vars: Record<string, unknown> = {};
    for (const g of groupsOf.get(h) ?? []) Object.assign(vars, groups.get(g)?.vars);
    Object.assign(vars, hostvars[h]);
    hosts[h] = connection(p, h, vars, dir);
  }
  p.throwIfAny(FIX);
  return { hosts, groups: members };
}
