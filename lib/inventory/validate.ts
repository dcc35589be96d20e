/**
 * Checks for inventory data read from files, scripts or code: every problem names the source
 * and the field (`cluster.json: nodes[1].host_name must be a string (got 5)`), and all of a
 * source's problems come as one error, before any of its hosts is added.
 */
import { didYouMean } from '../did-you-mean.js';
import { ShipshapeError } from '../errors.js';
import { isSecret } from '../secret.js';
import type { HostOptions, InventoryData } from './types.js';

/** A value as a problem shows it: JSON, cut short. */
function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string | undefined;
  try { s = JSON.stringify(v); } catch { s = undefined; }
  s ??= Object.prototype.toString.call(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/** The problems found in one source, each `field problem (got value)`. */
export class Problems {
  readonly list: string[] = [];
  /**
   * @param lineOf the line of a field in the file (YAML inventories): a problem then starts
   *   with `line 7: `.
   */
  constructor(readonly source: string, private readonly lineOf?: (field: string) => number | undefined) {}

  add(field: string, problem: string, got?: unknown, withValue = true): void {
    const line = this.lineOf?.(field);
    this.list.push(`${line ? `line ${line}: ` : ''}${field} ${problem}${withValue ? ` (got ${shown(got)})` : ''}`);
  }

  /** A problem that is not about a value: a bad key (`hosts["web 01"]: a host name must be ...`). */
  note(text: string): void {
    this.list.push(text);
  }

  /** Throws one error listing them (the first few), when there are any. */
  throwIfAny(fix?: string): void {
    if (!this.list.length) return;
    const first = this.list.slice(0, 6).join('; ');
    const more = this.list.length > 6 ? `; and ${this.list.length - 6} more` : '';
    throw new ShipshapeError(`${this.source}: ${first}${more}`, { fix });
  }
}

/**
 * The field of `key` inside `parent`: `nodes[1].host_name`, `hosts["web-01"].port`.
 *
 * @example
 * sub('hosts', 'web-01')   // 'hosts["web-01"]'
 */
export function sub(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !isSecret(v);

// White space (line breaks included) and control characters, C0 and C1.
const NOT_IN_NAME = /[\s\x00-\x1f\x7f-\x9f]/;

/**
 * Why `name` cannot be a host or group name (one line, no white space or control
 * characters, at most 255 characters), or undefined when it can.
 *
 * @example
 * nameProblem('web 01')   // 'must be one word: no white space, line break or control character'
 */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'must be a string';
  if (name === '') return 'must not be empty';
  if (NOT_IN_NAME.test(name)) return 'must be one word: no white space, line break or control character';
  if (name.length > 255) return 'is longer than 255 characters';
  return undefined;
}

/** Checks a name given as a value at `field` (`nodes[1].host_name`); true when it is fine. */
export function checkName(p: Problems, field: string, name: unknown): name is string {
  const why = nameProblem(name);
  if (why) p.add(field, why, name);
  return why === undefined;
}

/** Checks a name given as a key (`hosts["web 01"]`); `what` is `host name` or `group name`. */
export function checkKeyName(p: Problems, field: string, name: string, what: string): boolean {
  const why = nameProblem(name);
  if (why) p.note(`${field}: a ${what} ${why}`);
  return why === undefined;
}

/** Checks a port at `field`: a whole number 1-65535 (or, when `numericString`, its digits). */
export function checkPort(p: Problems, field: string, v: unknown, numericString = false): number | undefined {
  const n = typeof v === 'number' ? v : numericString && typeof v === 'string' && /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  if (Number.isInteger(n) && n >= 1 && n <= 65535) return n;
  p.add(field, `must be a port: a whole number from 1 to 65535${numericString ? ' (or its digits as a string)' : ''}`, v);
  return undefined;
}

/** A string field that goes to ssh or a path: one line, no NUL or control character. */
export function checkLine(p: Problems, field: string, v: unknown, oneWord = false): v is string {
  if (typeof v !== 'string') { p.add(field, 'must be a string', v); return false; }
  if (oneWord ? NOT_IN_NAME.test(v) || v === '' : /[\x00-\x1f\x7f]/.test(v)) {
    p.add(field, oneWord ? 'must be one word: no white space, line break or control character' : 'must be one line without control characters', v);
    return false;
  }
  return true;
}

const GROUP_KEYS = ['hosts', 'vars', 'children'];

// Every HostOptions key: tsc refuses this list when the interface gains or loses one.
const HOST_KEYS: { readonly [K in keyof HostOptions]-?: true } = {
  transport: true, address: true, port: true, user: true, privateKey: true, passphrase: true, become: true,
  knownHostsFile: true, proxyJump: true, stateDir: true, vars: true, keepaliveInterval: true, keepaliveCountMax: true, allowSshRsa: true,
};

/**
 * Checks the options of one host (`at` is its field, `hosts["web-01"]`).
 *
 * @example
 * checkHostOptions(p, 'hosts["web-01"]', { port: '22' })   // p.list: ['hosts["web-01"].port must be a port: ... (got "22")']
 */
export function checkHostOptions(p: Problems, at: string, o: unknown): void {
  if (!isObject(o)) { p.add(at, 'must be an object of host options (address, port, user, ...)', o); return; }
  for (const [k, v] of Object.entries(o)) {
    const f = sub(at, k);
    if (!Object.hasOwn(HOST_KEYS, k)) { p.add(f, `is not a host option${didYouMean(k, Object.keys(HOST_KEYS)) || ` (options: ${Object.keys(HOST_KEYS).join(', ')})`}`, undefined, false); continue; }
    if (v === undefined) continue;
    switch (k as keyof HostOptions) {
      case 'transport': if (v !== 'ssh' && v !== 'local') p.add(f, "must be 'ssh' or 'local'", v); break;
      case 'address': case 'user': case 'proxyJump': checkLine(p, f, v, true); break;
      case 'port': checkPort(p, f, v); break;
      case 'privateKey': case 'knownHostsFile': checkLine(p, f, v); break;
      case 'stateDir': if (checkLine(p, f, v) && !v.startsWith('/')) p.add(f, 'must be an absolute path', v); break;
      case 'passphrase': if (!isSecret(v)) checkLine(p, f, v); break;
      case 'become':
        if (typeof v === 'string') checkLine(p, f, v, true);
        else if (isObject(v)) {
          if (v.user !== undefined) checkLine(p, `${f}.user`, v.user, true);
          if (v.password !== undefined && !isSecret(v.password) && typeof v.password !== 'string') p.add(`${f}.password`, 'must be a string or a secret()', v.password);
        } else if (typeof v !== 'boolean') p.add(f, 'must be true, false, a user name or { user, password }', v);
        break;
      case 'vars': if (!isObject(v)) p.add(f, 'must be an object of variables', v); break;
      case 'keepaliveInterval': case 'keepaliveCountMax':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 3600) p.add(f, 'must be a whole number from 1 to 3600', v);
        break;
      case 'allowSshRsa': if (typeof v !== 'boolean') p.add(f, 'must be true or false', v); break;
    }
  }
}

/**
 * Checks inventory data in shipshape's own form (`{ hosts: { name: options }, groups: { name:
 * [hosts] } }`, from code or a JSON file) and returns it; throws one error naming `source` and
 * every bad field.
 *
 * @example
 * checkInventoryData({ groups: { web: 'web-01' } }, 'inventory object')
 * // throws: inventory object: groups.web must be a list of host names (got "web-01")
 */
export function checkInventoryData(data: unknown, source: string): InventoryData {
  const p = new Problems(source);
  if (!isObject(data)) {
    p.add('the inventory', 'must be an object with hosts and groups', data);
    p.throwIfAny();
  }
  const d = data as Record<string, unknown>;
  for (const k of Object.keys(d)) if (k !== 'hosts' && k !== 'groups') p.add(sub('', k), `is not part of an inventory${didYouMean(k, ['hosts', 'groups']) || ' (it has hosts and groups)'}`, undefined, false);
  if (d.hosts !== undefined) {
    if (!isObject(d.hosts)) p.add('hosts', 'must be an object of host name: options', d.hosts);
    else for (const [name, o] of Object.entries(d.hosts)) if (checkKeyName(p, sub('hosts', name), name, 'host name')) checkHostOptions(p, sub('hosts', name), o);
  }
  if (d.groups !== undefined) {
    if (!isObject(d.groups)) p.add('groups', 'must be an object of group name: [host names] or { hosts, vars, children }', d.groups);
    else {
      for (const [name, members] of Object.entries(d.groups)) {
        const at = sub('groups', name);
        if (!checkKeyName(p, at, name, 'group name')) continue;
        if (Array.isArray(members)) { members.forEach((m, i) => checkName(p, sub(at, i), m)); continue; }
        if (!isObject(members)) { p.add(at, 'must be a list of host names, or { hosts, vars, children }', members); continue; }
        for (const k of Object.keys(members)) if (!GROUP_KEYS.includes(k)) p.add(sub(at, k), `is not part of a group${didYouMean(k, GROUP_KEYS) || ' (a group has hosts, vars and children)'}`, undefined, false);
        for (const k of ['hosts', 'children'] as const) {
          const list = members[k];
          if (list === undefined) continue;
          if (!Array.isArray(list)) p.add(sub(at, k), `must be a list of ${k === 'hosts' ? 'host' : 'group'} names`, list);
          else list.forEach((m, i) => checkName(p, sub(sub(at, k), i), m));
        }
        if (members.vars !== undefined && !isObject(members.vars)) p.add(sub(at, 'vars'), 'must be an object of variables', members.vars);
      }
    }
  }
  p.throwIfAny('an inventory object looks like { hosts: { "web-01": { address: "10.0.0.5", user: "deploy" } }, groups: { web: ["web-01"], db: { hosts: ["db-01"], vars: { port: 5432 }, children: [] } } }');
  return d as InventoryData;
}
