import { PGraph } from 'p-graph';
import type { Plan, HostPlan, Segment } from '../plan/types.js';
import type { EngineEvent, RunSummary } from '../report/events.js';
import type { Transport } from '../transport/types.js';
import { HostRun } from './host-run.js';
import { batchesOf, stopsRollout, type BatchSize } from './serial.js';

export interface EngineOptions {
  check?: boolean;
  /** Show content diffs (told to reporters). */
  diff?: boolean;
  /** Hosts (segments) running at once. */
  forks?: number;
  connect: (host: HostPlan) => Promise<Transport>;
  emit: (e: EngineEvent) => void;
  /** Once aborted, running tasks finish and nothing new starts. */
  signal?: AbortSignal;
  /** Run notified handlers even on hosts where a task failed. */
  forceHandlers?: boolean;
  /** Hosts in batches of these sizes (see {@link parseSerial}); a batch starts when the previous one finished. */
  serial?: BatchSize[];
  /** With `serial`: stop the remaining batches once more than this share of a batch failed. */
  maxFailPercent?: number;
}

/**
 * Runs a validated plan: hosts concurrently (up to `forks`), each host's tasks in order,
 * `after()` joins between segments, handlers at the end of each host. Every scheduler node
 * is wrapped so it never rejects: the engine records each task's status itself, a failure
 * stops only its host, and nothing starts after an abort.
 *
 * @example
 * const { plan } = buildPlan(project);
 * await runPlan(plan, { forks: 10, connect: (h) => connectHost(h), emit: plainReporter() });
 */
export async function runPlan(plan: Plan, o: EngineOptions): Promise<RunSummary> {
  const t0 = performance.now();
  const check = o.check ?? false;
  const aborted = () => o.signal?.aborted ?? false;
  const runs = new Map(plan.hosts.map((h) => [h.name, new HostRun(h, { check, connect: o.connect, emit: o.emit, aborted, forceHandlers: o.forceHandlers, signal: o.signal })]));
  const lastSegment = new Map<string, string>();
  for (const s of plan.segments) lastSegment.set(s.host, s.id);
  const segOk = new Map<string, boolean>();
  const hostOf = new Map(plan.segments.map((s) => [s.id, s.host]));
  o.emit({
    type: 'run-start', hosts: plan.hosts.map((h) => h.name), tasks: plan.hosts.reduce((n, h) => n + h.tasks.length, 0), check, diff: o.diff ?? false,
    ...(plan.leftOutByTags ? { leftOutByTags: plan.leftOutByTags } : {}),
  });

  // Joins to hosts outside a batch are dropped: after() orders targets within a batch.
  const runSegments = async (segments: Segment[]) => {
    const ids = new Set(segments.map((s) => s.id));
    const nodes = new Map(segments.map((s) => [s.id, {
      run: async () => {
        const run = runs.get(s.host)!;
        try {
          const failedDep = s.deps.find((d) => ids.has(d) && segOk.get(d) === false && hostOf.get(d) !== s.host);
          const blocked = failedDep ? `waits for ${s.waitsFor.join(', ')}, which did not complete on ${hostOf.get(failedDep)}` : undefined;
          await run.runTasks(s.tasks, blocked);
          segOk.set(s.id, run.ok && !blocked);
          if (lastSegment.get(s.host) === s.id) await run.finish();
        } catch {
          // HostRun records its own failures; this only guards the scheduler.
          segOk.set(s.id, false);
        }
      },
    }]));
    const deps: [string, string][] = segments.flatMap((s) => s.deps.filter((d) => ids.has(d)).map((d): [string, string] => [d, s.id]));
    await new PGraph(nodes, deps).run({ concurrency: Math.max(1, o.forks ?? 50) });
  };

  let notStarted: string[] | undefined;
  if (!o.serial) {
    await runSegments(plan.segments);
  } else {
    const batches = batchesOf(plan.hosts.map((h) => h.name), o.serial);
    for (const [i, batch] of batches.entries()) {
      if (aborted()) { notStarted = batches.slice(i).flat(); break; }
      o.emit({ type: 'batch-start', batch: i + 1, batches: batches.length, hosts: batch });
      const inBatch = new Set(batch);
      await runSegments(plan.segments.filter((s) => inBatch.has(s.host)));
      // A batch's connections close with it: a rollout over many hosts holds one batch's worth.
      await Promise.all(batch.map((h) => runs.get(h)!.close()));
      const failed = batch.filter((h) => !runs.get(h)!.ok);
      const rest = batches.slice(i + 1).flat();
      if (rest.length && !aborted() && stopsRollout(failed.length, batch.length, o.maxFailPercent)) {
        const share = `${failed.length} of ${batch.length} host${batch.length === 1 ? '' : 's'}`;
        const reason = o.maxFailPercent === undefined ? `every host of batch ${i + 1} failed (${share})` : `${share} of batch ${i + 1} failed, more than --max-fail-percent ${o.maxFailPercent}%`;
        notStarted = rest;
        o.emit({ type: 'rollout-stopped', batch: i + 1, failed, notStarted: rest, reason });
        break;
      }
    }
  }
  await Promise.all([...runs.values()].map((r) => r.close()));

  const hosts = Object.fromEntries([...runs].map(([name, r]) => [name, { ...r.stats }]));
  const summary: RunSummary = {
    ok: [...runs.values()].every((r) => r.ok) && !aborted() && !notStarted,
    hosts,
    check,
    aborted: aborted(),
    ...(notStarted ? { notStarted } : {}),
    durationMs: Math.round(performance.now() - t0),
  };
  o.emit({ type: 'run-end', summary });
  return summary;
}
