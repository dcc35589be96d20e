import { accessSync, constants, statSync } from 'node:fs';
import { basename } from 'node:path';
import { captureCallSite, resolveFromCaller } from '../dsl/call-site.js';
import { ShipshapeError, type CallSite } from '../errors.js';
import { fromAnsible, runInventoryScript } from './ansible.js';
import { loadClusterJson, readJson } from './cluster.js';
import { checkInventoryData, isObject, Problems } from './validate.js';
import type { HostOptions, InventoryData } from './types.js';

/**
 * Hosts, groups and host variables, from objects, cluster.json, Ansible inventory JSON or an
 * Ansible dynamic inventory script. Later loads add to earlier ones.
 *
 * @example
 * inventory.load('cluster.json');
 * inventory.load('./inventory.py');
 * inventory.load({ hosts: { 'web-01': { address: '10.0.0.5', user: 'deploy' } }, groups: { web: ['web-01'] } });
 */
export class Inventory {
  readonly hosts = new Map<string, HostOptions>();
  readonly groups = new Map<string, Set<string>>();

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
      const file = resolveFromCaller(source);
      return this.add(Inventory.read(file), file);
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
    for (const [name, opts] of Object.entries(data.hosts ?? {})) {
      const prev = this.hosts.get(name) ?? {};
      this.hosts.set(name, { ...prev, ...dropUndefined(opts), vars: { ...prev.vars, ...opts.vars } });
    }
    for (const [name, members] of Object.entries(data.groups ?? {})) {
      const set = this.groups.get(name) ?? new Set<string>();
      for (const m of members) {
        set.add(m);
        if (!this.hosts.has(m)) this.hosts.set(m, {});
      }
      this.groups.set(name, set);
    }
    return this;
  }

  clear(): void {
    this.hosts.clear();
    this.groups.clear();
  }

  /** Reads a file: cluster.json (has `nodes`), Ansible JSON, or an executable inventory script. */
  static read(file: string): InventoryData {
    let st;
    try {
      st = statSync(file);
    } catch {
      throw new ShipshapeError(`inventory ${file} does not exist`, { fix: 'check the path (a relative path resolves from the folder of the file that loads it)' });
    }
    if (!st.isFile()) throw new ShipshapeError(`inventory ${file} is not a file`);
    if (!file.endsWith('.json') && isExecutable(file)) return fromAnsible(file, runInventoryScript(file), `${file} --list`);
    const data = readJson(file);
    if (!isObject(data)) {
      const p = new Problems(file);
      p.add('the top level', 'must be an object: cluster.json\'s { "nodes": [...] }, Ansible\'s { "group": { "hosts": [...] } } or { "hosts": {...}, "groups": {...} }', data);
      p.throwIfAny();
    }
    const d = data as Record<string, unknown>;
    // A file named cluster.json is read as one even when "nodes" is missing, so the error says so.
    if ('nodes' in d || basename(file) === 'cluster.json') return loadClusterJson(file, d);
    if ('hosts' in d && !('_meta' in d) && isObject(d.hosts)) return checkInventoryData(d, file);
    return fromAnsible(file, d);
  }
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
