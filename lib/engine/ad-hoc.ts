import { Inventory } from '../inventory/inventory.js';
import type { HostPlan } from '../plan/types.js';
import { didYouMean } from '../did-you-mean.js';
import { ShipshapeError, toShipshapeError } from '../errors.js';
import type { Facts } from '../ops/types.js';
import { connectHost } from '../transport/connect.js';
import type { Become, ExecResult } from '../transport/types.js';
import { factsProbe, parseFacts } from './facts.js';
import { FACT_GROUPS } from '../ops/fact-types.js';
import { selectHosts as selectPatterns } from '../plan/limit.js';

export interface AdHocOptions {
  /** Host or group names; all hosts of the inventory when absent. */
  limit?: string[];
  become?: Become;
  acceptNewHostKeys?: boolean;
  forks?: number;
}

export type AdHocResult<T> = { host: string; ok: true; value: T } | { host: string; ok: false; error: ShipshapeError };

/**
 * The inventory's hosts selected by `--limit` patterns (names of hosts or groups, globs,
 * `!exclusion`, `&intersection`, `@file`; all hosts when `limit` is absent). A name that is
 * neither, and a selection with no host, are errors: an ad-hoc command that reaches nothing
 * is never a success.
 *
 * @example
 * selectHosts(inv, ['webservers'])   // [{ name: 'web-01', options: {...}, tasks: [], handlers: [] }]
 */
export function selectHosts(inv: Inventory, limit: string[] | undefined): HostPlan[] {
  const all = [...inv.hosts.keys()];
  const groups = [...inv.groups.keys()];
  for (const l of limit ?? []) {
    // a plain name that is neither host nor group: name the closest one
    if (!/^[!&@~]|[*?[]/.test(l) && !inv.hosts.has(l) && !inv.groups.has(l)) {
      throw new ShipshapeError(`--limit ${JSON.stringify(l)} names no host or group of the inventory${didYouMean(l, [...all, ...groups])}`, {
        fix: `hosts: ${all.join(', ') || '(none)'}; groups: ${groups.join(', ') || '(none)'}`,
      });
    }
  }
  if (!all.length) throw new ShipshapeError('the inventory has no hosts', { fix: 'check the inventory file: it lists no host' });
  const r = selectPatterns(limit?.length ? limit : all, all, (g) => (inv.groups.has(g) ? [...inv.groups.get(g)!] : undefined), groups);
  if (r.problems.length) throw new ShipshapeError(r.problems[0]!, { fix: `hosts: ${all.join(', ')}; groups: ${groups.join(', ') || '(none)'}` });
  return all.filter((h) => r.hosts.has(h)).map((name) => ({ name, options: inv.hosts.get(name) ?? {}, tasks: [], handlers: [] }));
}

/**
 * Runs `fn` on each selected host over its own connection, `forks` at a time; a host that
 * fails does not stop the others.
 *
 * @example
 * await onHosts(inventory, { limit: ['web-01'] }, (t) => t.exec('uptime'))
 */
export async function onHosts<T>(inv: Inventory, o: AdHocOptions, fn: (t: Awaited<ReturnType<typeof connectHost>>, h: HostPlan) => Promise<T>): Promise<AdHocResult<T>[]> {
  const hosts = selectHosts(inv, o.limit);
  const out: AdHocResult<T>[] = [];
  let next = 0;
  const worker = async () => {
    while (next < hosts.length) {
      const h = hosts[next++]!;
      let t;
      try {
        t = await connectHost(h, { acceptNewHostKeys: o.acceptNewHostKeys });
        out.push({ host: h.name, ok: true, value: await fn(t, h) });
      } catch (e) {
        out.push({ host: h.name, ok: false, error: toShipshapeError(e, { host: h.name }) });
      } finally {
        await t?.close().catch(() => undefined);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.forks ?? 50, hosts.length) }, worker));
  return hosts.map((h) => out.find((r) => r.host === h.name)!);
}

/**
 * Runs one shell command on every selected host.
 *
 * @example
 * await execOnHosts(new Inventory().load('cluster.json'), 'uptime', { become: true })
 */
export function execOnHosts(inv: Inventory, command: string, o: AdHocOptions = {}): Promise<AdHocResult<ExecResult>[]> {
  return onHosts(inv, o, (t, h) => t.exec(command, { become: o.become ?? h.options.become }));
}

/**
 * Reads the facts `when` callbacks see, every group of them, from every selected host, in
 * one command per host.
 *
 * @example
 * (await factsOfHosts(inv, { limit: ['web-01'] }))[0]   // { host: 'web-01', ok: true, value: { init: 'sysvinit', ... } }
 */
export function factsOfHosts(inv: Inventory, o: AdHocOptions = {}): Promise<AdHocResult<Facts>[]> {
  return onHosts(inv, o, async (t, h) => parseFacts((await t.exec(factsProbe(FACT_GROUPS))).stdout, h.options.vars ?? {}, h.name));
}
