import { execFileSync } from 'node:child_process';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ShipshapeError } from '../errors.js';
import type { HostOptions, InventoryData } from './types.js';

type AnsibleGroup = { hosts?: string[] | Record<string, unknown>; vars?: Record<string, unknown>; children?: string[] } | string[];
interface AnsibleMeta { hostvars?: Record<string, Record<string, unknown>> }
type AnsibleList = Record<string, unknown> & { _meta?: AnsibleMeta };

/**
 * Runs an Ansible dynamic inventory script with `--list` and reads its JSON.
 *
 * @example
 * runInventoryScript('./inventory.py')   // { webservers: { hosts: ['web-01'] }, _meta: { hostvars: {...} } }
 */
export function runInventoryScript(file: string): AnsibleList {
  let out: string;
  try {
    out = execFileSync(resolve(file), ['--list'], { cwd: dirname(resolve(file)), encoding: 'utf8', timeout: 60_000 });
  } catch (e) {
    const err = e as { stderr?: string; status?: number; message: string };
    throw new ShipshapeError(`inventory script ${file} failed`, { command: `${file} --list`, exitCode: err.status, stderr: err.stderr ?? err.message, fix: 'make it executable (chmod +x) and check that it prints JSON for --list' });
  }
  try {
    return JSON.parse(out) as AnsibleList;
  } catch {
    throw new ShipshapeError(`inventory script ${file} did not print JSON for --list`, { stdout: out });
  }
}

/**
 * Converts Ansible's inventory JSON (`hosts`, `vars`, `children`, `_meta.hostvars` with
 * ansible_host/port/user/private_key_file) into shipshape's inventory. Relative key paths
 * resolve from the inventory file's folder.
 *
 * @example
 * fromAnsible('inventory.py', runInventoryScript('inventory.py')).hosts!['web-01']   // { address: '127.0.0.1', port: 22003, ... }
 */
export function fromAnsible(file: string, list: AnsibleList): InventoryData {
  const dir = dirname(resolve(file));
  const hostvars = list._meta?.hostvars ?? {};
  const groups: Record<string, string[]> = {};
  const groupVars: Record<string, Record<string, unknown>> = {};
  for (const [name, raw] of Object.entries(list)) {
    if (name === '_meta') continue;
    const g = raw as AnsibleGroup;
    const hosts = Array.isArray(g) ? g : Array.isArray(g.hosts) ? g.hosts : Object.keys(g.hosts ?? {});
    groups[name] = [...hosts];
    if (!Array.isArray(g) && g.vars) groupVars[name] = g.vars;
  }
  // children: a group holds its children's hosts too
  const expand = (name: string, seen: Set<string>): string[] => {
    const g = list[name] as AnsibleGroup | undefined;
    if (!g || Array.isArray(g) || seen.has(name)) return groups[name] ?? [];
    seen.add(name);
    return [...new Set([...(groups[name] ?? []), ...(g.children ?? []).flatMap((c) => expand(c, seen))])];
  };
  for (const name of Object.keys(groups)) groups[name] = expand(name, new Set());
  const all = new Set<string>([...Object.keys(hostvars), ...Object.values(groups).flat()]);
  groups.all = [...all];
  const hosts: Record<string, HostOptions> = {};
  for (const h of all) {
    const vars: Record<string, unknown> = {};
    for (const [g, members] of Object.entries(groups)) if (members.includes(h)) Object.assign(vars, groupVars[g]);
    Object.assign(vars, hostvars[h]);
    const key = vars.ansible_private_key_file ?? vars.ansible_ssh_private_key_file;
    const port = vars.ansible_port ?? vars.ansible_ssh_port;
    const become = vars.ansible_become;
    hosts[h] = {
      address: str(vars.ansible_host ?? vars.ansible_ssh_host),
      port: port === undefined ? undefined : Number(port),
      user: str(vars.ansible_user ?? vars.ansible_ssh_user),
      privateKey: key === undefined ? undefined : isAbsolute(String(key)) || String(key).startsWith('~') ? String(key) : resolve(dir, String(key)),
      transport: vars.ansible_connection === 'local' ? 'local' : undefined,
      become: become === undefined ? undefined : become === true || become === 'true' || become === 'yes',
      vars,
    };
  }
  return { hosts, groups };
}

function str(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}
