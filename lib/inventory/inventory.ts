import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname } from 'node:path';
import { captureCallSite, resolveFromCaller } from '../dsl/call-site.js';
import { ShipshapeError, type CallSite } from '../errors.js';
import { fromAnsible, runInventoryScript } from './ansible.js';
import { loadClusterJson, readJson } from './cluster.js';
import { readIni } from './ini.js';
import { mergeVars, resolveInventory, type GroupModel, type InventoryModel, type ResolvedInventory } from './precedence.js';
import { checkInventoryData, isObject, Problems } from './validate.js';
import { withVarsDirs } from './vars-dirs.js';
import { readYamlFile } from './yaml-file.js';
import type { HostOptions, InventoryData } from './types.js';

/**
 * Hosts, groups and their variables, from objects, cluster.json, Ansible INI or YAML
 * inventories, Ansible inventory JSON or an Ansible dynamic inventory script, with the
 * group_vars/ and host_vars/ folders beside a file. Later loads add to earlier ones.
 *
 * @example
 * inventory.load('hosts.ini');
 * inventory.load('./inventory.py');
 * inventory.load({ hosts: { 'web-01': { address: '10.0.0.5', user: 'deploy' } }, groups: { web: { hosts: ['web-01'], vars: { http_port: 80 } } } });
 */
export class Inventory {
  /** Every host's options, `vars` merged from every level of the inventory (see precedence.ts). */
  readonly hosts = new Map<string, HostOptions>();
  /** Every group's hosts, its child groups' included; `all` has every host. */
  readonly groups = new Map<string, Set<string>>();
  private model: InventoryModel = { hosts: new Map(), groups: new Map() };
  private resolved: ResolvedInventory = resolveInventory(this.model, new Problems('inventory'));

  /**
   * @param onProblem when given, a source that cannot be read is reported here (the project
   *   turns it into a plan problem, so `deploy()` reports it with the rest and exit code 4)
   *   instead of throwing.
   */
  constructor(private readonly onProblem?: (message: string, callSite?: CallSite) => void) {}

  load(source: string | InventoryData): this {
    try {
      // A relative file resolves from the folder of the file that called load(), as src paths do.
      if (typeof source !== 'string') return this.add(source);
      const { data, label } = Inventory.readFile(resolveFromCaller(source));
      return this.add(data, label);
    } catch (e) {
      if (!this.onProblem) throw e;
      const err = e instanceof ShipshapeError ? e : new ShipshapeError(String((e as Error)?.message ?? e));
      const detail = err.stderr?.trim() ? `: ${err.stderr.trim().split('\n').slice(-3).join(' ')}` : '';
      this.onProblem(`${err.message}${detail}${err.fix ? ` (${err.fix})` : ''}`, captureCallSite());
      return this;
    }
  }

  /**
   * Adds hosts and groups given as an object; throws (one error naming every bad field) when
   * it is malformed, before adding anything.
   */
  add(data: InventoryData, source = 'inventory object'): this {
    data = checkInventoryData(data, source);
    const next = mergeModel(this.model, data);
    const p = new Problems(source);
    const resolved = resolveInventory(next, p);
    p.throwIfAny('fix the inventory, or the group_vars/ and host_vars/ files beside it');
    this.model = next;
    this.resolved = resolved;
    this.hosts.clear();
    for (const [name, o] of resolved.hosts) this.hosts.set(name, o);
    this.groups.clear();
    for (const [name, m] of resolved.members) if (name !== 'all' || m.size) this.groups.set(name, m);
    return this;
  }

  /**
   * A host's variables: the inventory's (every level, see precedence.ts) with `own` (those
   * given in code, `host(name, { vars })`) over them. A host the inventory does not have
   * gets the variables of group `all`.
   *
   * @example
   * inventory.varsOf('web-01', { port: 5000 })   // { http_port: 80, port: 5000 }
   */
  varsOf(host: string, own?: Record<string, unknown>): Record<string, unknown> {
    return mergeVars([this.hosts.get(host)?.vars ?? this.resolved.groupVars('all'), own]);
  }

  /**
   * A group's variables: its own over its parents' (`all` lowest); a group the inventory does
   * not have gets those of `all`.
   *
   * @example
   * inventory.groupVars('web')   // { http_port: 80, tier: 'front' }
   */
  groupVars(name: string): Record<string, unknown> {
    return this.resolved.groupVars(name);
  }

  /** The groups as a tree under `all`: each with the hosts listed in it directly and its children. */
  tree(): ReadonlyMap<string, Readonly<GroupModel>> {
    return this.resolved.tree;
  }

  clear(): void {
    this.hosts.clear();
    this.groups.clear();
    this.model = { hosts: new Map(), groups: new Map() };
    this.resolved = resolveInventory(this.model, new Problems('inventory'));
  }

  /**
   * Reads a file, with the group_vars/ and host_vars/ folders beside it: `.yml`/`.yaml` an
   * Ansible YAML inventory; `.json` cluster.json (has `nodes`), Ansible JSON or shipshape's
   * own; an executable an Ansible dynamic inventory script; `.ini`, `.cfg`, no extension (or
   * any other) an Ansible INI inventory, unless it starts with `{` (JSON).
   */
  static read(file: string): InventoryData {
    return Inventory.readFile(file).data;
  }

  private static readFile(file: string): { data: InventoryData; label: string } {
    let st;
    try {
      st = statSync(file);
    } catch {
      throw new ShipshapeError(`inventory ${file} does not exist`, { fix: 'check the path (a relative path resolves from the folder of the file that loads it)' });
    }
    if (!st.isFile()) throw new ShipshapeError(`inventory ${file} is not a file`);
    const ext = extname(file).toLowerCase();
    const dir = dirname(file);
    if (!['.json', '.yml', '.yaml', '.ini', '.cfg'].includes(ext) && isExecutable(file)) {
      const label = `${file} --list`;
      return { data: withVarsDirs(fromAnsible(file, runInventoryScript(file), label), dir), label };
    }
    if (ext === '.yml' || ext === '.yaml') {
      const { value, lineOf } = readYamlFile(file);
      // An empty file is an empty inventory, as in Ansible.
      return { data: withVarsDirs(value === null || value === undefined ? {} : fromStructured(file, value, lineOf), dir), label: file };
    }
    if (ext !== '.json') {
      const text = readFileSync(file, 'utf8');
      if (!text.trimStart().startsWith('{')) return { data: withVarsDirs(readIni(file, text), dir), label: file };
    }
    return { data: withVarsDirs(fromStructured(file, readJson(file)), dir), label: file };
  }
}

/** JSON or YAML data: cluster.json's nodes, shipshape's { hosts, groups }, or Ansible's groups. */
function fromStructured(file: string, data: unknown, lineOf?: (field: string) => number | undefined): InventoryData {
  if (!isObject(data)) {
    const p = new Problems(file);
    p.add('the top level', 'must be an object: cluster.json\'s { "nodes": [...] }, Ansible\'s { "group": { "hosts": [...] } } or { "hosts": {...}, "groups": {...} }', data);
    p.throwIfAny();
  }
  const d = data as Record<string, unknown>;
  // A file named cluster.json is read as one even when "nodes" is missing, so the error says so.
  if ('nodes' in d || basename(file) === 'cluster.json') return loadClusterJson(file, d);
  if ('hosts' in d && !('_meta' in d) && isObject(d.hosts)) return checkInventoryData(d, file);
  return fromAnsible(file, d, file, lineOf);
}

/** The model with `data` added: options and vars of a host merged (later wins), group members and children joined. */
function mergeModel(model: InventoryModel, data: InventoryData): InventoryModel {
  const hosts = new Map(model.hosts);
  const groups = new Map(model.groups);
  const touch = (name: string) => { if (!hosts.has(name)) hosts.set(name, {}); };
  for (const [name, opts] of Object.entries(data.hosts ?? {})) {
    const prev = hosts.get(name) ?? {};
    hosts.set(name, { ...prev, ...dropUndefined(opts), vars: { ...prev.vars, ...opts.vars } });
  }
  for (const [name, given] of Object.entries(data.groups ?? {})) {
    const g = Array.isArray(given) ? { hosts: given } : given;
    const prev = groups.get(name) ?? { hosts: [], children: [], vars: {} };
    const next = {
      hosts: [...new Set([...prev.hosts, ...(g.hosts ?? [])])],
      children: [...new Set([...prev.children, ...(g.children ?? [])])],
      vars: { ...prev.vars, ...g.vars },
    };
    next.hosts.forEach(touch);
    groups.set(name, next);
  }
  return { hosts, groups };
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
