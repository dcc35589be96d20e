// Runs the webapp recipe on lab hosts with shipshape's engine, quietly, and times it.
import { createProject } from '../lib/dsl/project.js';
import { deployProject } from '../lib/engine/deploy.js';
import type { EngineEvent } from '../lib/report/events.js';
import { webapp, type WebappParams } from '../recipes/webapp/index.js';

export interface ShipshapeResult {
  seconds: number;
  ok: boolean;
  /** Changed tasks, handlers included, over all hosts. */
  changed: number;
  /** Why it failed, when it did. */
  failures: string;
}

/**
 * Deploys `webapp` to the hosts of `clusterFile` named in `limit`, timing plan + run (what
 * `tsx deploy.ts` does after its imports are loaded).
 *
 * @example
 * const r = await runShipshape('cluster.json', ['b-1'], {});
 */
export async function runShipshape(clusterFile: string, limit: string[], params: WebappParams): Promise<ShipshapeResult> {
  const events: EngineEvent[] = [];
  const t0 = performance.now();
  const p = createProject();
  p.inventory.load(clusterFile);
  p.group('all').use(webapp, params);
  const result = await deployProject(p, { argv: [], keepExitCode: true, limit, forks: Math.max(limit.length, 1), reporter: (e) => events.push(e) });
  const seconds = (performance.now() - t0) / 1000;
  const ends = events.flatMap((e) => (e.type === 'task-end' ? [e] : []));
  const failures = [
    ...ends.filter((e) => e.result.status === 'failed' || e.result.status === 'unreachable')
      .map((e) => `${e.task.host} ${e.task.name}: ${e.result.error?.explain() ?? e.result.status}`),
    ...(result.problems ?? []).map((x) => x.message),
  ].join('\n');
  return { seconds, ok: result.ok, changed: ends.filter((e) => e.result.status === 'changed').length, failures };
}
