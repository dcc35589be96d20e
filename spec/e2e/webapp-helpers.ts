// Shared by the webapp e2e suites: run the webapp recipe on lab hosts, read what happened,
// fetch pages through the lab's forwarded ports.
import { createProject } from '../../lib/dsl/project.js';
import { deployProject, type DeployResult } from '../../lib/engine/deploy.js';
import type { LabHost } from '../../lib/lab/index.js';
import type { EngineEvent, TaskResult } from '../../lib/report/events.js';
import { webapp, type WebappParams } from '../../recipes/webapp/index.js';

export interface Ended { host: string; name: string; op: string; handler?: string; result: TaskResult }

export interface Run {
  result: DeployResult;
  ends: Ended[];
  seconds: number;
  /**
   * `name` of changed tasks (handlers as `handler <handler>: <name>`), for one host. Health
   * checks (waitFor) are left out: one is "changed" when it had to wait, which is timing.
   */
  changed(host: string): string[];
  /** The health checks of a host: `label: status`, in order. */
  waits(host: string): string[];
  /** Tasks of handlers that ran (not skipped) on a host. */
  handlersRun(host: string): string[];
}

const label = (e: Ended) => (e.handler ? `handler ${e.handler}: ${e.name}` : e.name);

/**
 * Deploys the webapp recipe to the cluster's hosts (group `all`), quietly, over SSH.
 *
 * @example
 * const r = await deployWebapp(clusterFile, {}, { limit: ['web-1'] });
 */
export async function deployWebapp(clusterFile: string, params: WebappParams, o: { limit?: string[]; check?: boolean } = {}): Promise<Run> {
  const p = createProject();
  p.inventory.load(clusterFile);
  p.group('all').use(webapp, params);
  const events: EngineEvent[] = [];
  const t0 = performance.now();
  const result = await deployProject(p, { argv: [], keepExitCode: true, reporter: (e) => events.push(e), limit: o.limit, check: o.check });
  const seconds = (performance.now() - t0) / 1000;
  const ends: Ended[] = events.flatMap((e) => (e.type === 'task-end' ? [{ host: e.task.host, name: e.task.name, op: e.task.op, handler: e.task.handler, result: e.result }] : []));
  return {
    result, ends, seconds,
    changed: (host) => ends.filter((e) => e.host === host && e.result.status === 'changed' && e.op !== 'waitFor').map(label),
    waits: (host) => ends.filter((e) => e.host === host && e.op === 'waitFor').map((e) => `${label(e)}: ${e.result.status}`),
    handlersRun: (host) => ends.filter((e) => e.host === host && e.handler && e.result.status !== 'skipped').map(label),
  };
}

/** Why a run failed, as readable text for assertion messages. */
export function failures(r: Run): string {
  const tasks = r.ends.filter((e) => e.result.status === 'failed' || e.result.status === 'unreachable').map((e) => `${e.host} ${label(e)}: ${e.result.error?.explain() ?? ''}`);
  return [...tasks, ...(r.result.problems ?? []).map((p) => p.message)].join('\n') || 'no failures';
}

/** A cluster.json object with `n` nodes, ports from `base` (ssh base+i, web base+100+i). */
export function clusterOf(prefix: string, n: number, base: number): object {
  return {
    nodes: Array.from({ length: n }, (_, i) => ({
      host_name: `${prefix}-${i + 1}`,
      port_mappings: [
        { guest_port: 80, host_port: base + 100 + i, host_ip: '127.0.0.1' },
        { guest_port: 22, host_port: base + i, host_ip: '127.0.0.1' },
      ],
    })),
  };
}

/**
 * A listing of every path under /etc, /opt, /var/lib/dpkg and /var/lib/apt with type, mode,
 * owner, link target and content hash: equal listings mean nothing there changed.
 */
export const STATE_LISTING = "for d in /etc /opt /var/lib/dpkg /var/lib/apt; do find $d -xdev -printf '%y %p %m %u:%g %l\\n'; done | sort; " +
  "find /etc /opt /var/lib/dpkg /var/lib/apt -xdev -type f -print0 | sort -z | xargs -0 sha256sum";

/** The page helpers live with the lab (the bench and the demo use them too). */
export { getPage as page, guestUrl as webUrl } from '../../lib/lab/index.js';
