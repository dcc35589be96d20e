import { ShipshapeError, toShipshapeError } from '../errors.js';
import type { Action, DeferKey, Diff, Facts, Footprint, Probed } from '../ops/types.js';
import type { Task } from '../plan/types.js';
import type { EngineEvent, TaskResult } from '../report/events.js';
import type { Become, Transport } from '../transport/types.js';
import { GROUP_BYTES_LIMIT, groupableActions, groupScript, sizeOf } from './apply-group.js';
import { overlaps } from './footprint.js';
import { notifyList, sameBecome, taskInfo } from './task-info.js';
import { becomeUser } from './watched-transport.js';

/** What grouping needs from the host's run (HostRun gives it). */
export interface GroupHost {
  host: string;
  facts: Facts;
  transport: Transport;
  signal?: AbortSignal;
  deferred: ReadonlySet<DeferKey>;
  /** The task's batched probe, when it still tells the task's state. */
  batchedProbe(t: Task): Probed | undefined;
  /** The task's footprint paths are real paths (no symlink on the way). */
  isPlain(t: Task): boolean;
  /** Handlers not to notify again (they already ran). */
  handlersDone: ReadonlySet<string>;
  emit(e: EngineEvent): void;
  /** Commands sent while this is on are not reported one by one (the grouped script). */
  quiet(on: boolean): void;
  recordPending(names: string[]): Promise<void>;
  /** Reports a task's result as a task run alone would: counts it, queues its handlers on a change, fails the host on a failure. */
  settle(t: Task, result: TaskResult, notify: string[], probed?: Probed): void;
  changedBy(t: Task): void;
  skipAfterFailure(t: Task): void;
}

export interface Member {
  t: Task;
  probed: Probed;
  diff: Diff;
  /** Set on members that change something. */
  actions?: Action[];
}

/** A task that can be part of a group: an op with known paths, run once, as a plain task. */
function candidate(t: Task, become: Become | undefined): boolean {
  const o = t.options;
  return !!t.op.footprint && t.op.groupable !== false && !t.handler && !o.when && !o.until && !o.retries && !o.delay && o.supersedes === undefined && sameBecome(t.become, become);
}

/**
 * The run of tasks from `from` whose changes can go to the host as one script: consecutive
 * file, template, copy and line tasks with the same become, whose batched probes still hold,
 * whose paths do not overlap each other's, and whose actions are uploads and plain commands.
 * `members` is undefined unless at least two of them change something (one alone runs as it
 * always does); `scanned` are the tasks looked at, with their diffs, either way.
 *
 * @example
 * const members = await planGroup(host, segmentTasks, 3);   // then applyGroup(host, members)
 */
export async function planGroup(h: GroupHost, tasks: readonly Task[], from: number): Promise<{ members?: Member[]; scanned: Member[] }> {
  const become = tasks[from]?.become;
  const members: Member[] = [];
  const touched: Footprint[] = [];
  let changing = 0;
  let lastChanging = -1;
  let bytes = 0;
  for (let i = from; i < tasks.length; i++) {
    const t = tasks[i]!;
    if (!candidate(t, become)) break;
    const probed = h.batchedProbe(t);
    const fp = t.op.footprint!(t.args) ?? [];
    if (!probed || (touched.length && (!h.isPlain(t) || overlaps(fp, touched)))) break;
    const ctx = { host: h.host, facts: h.facts, baseDir: t.baseDir, check: false, deferred: h.deferred };
    let diff: Diff;
    try {
      diff = await t.op.diff(t.args, probed, ctx);
    } catch {
      break;  // run alone, it reports its own error
    }
    if (diff.unknown || diff.fails) break;
    if (!diff.changes.length) { members.push({ t, probed, diff }); continue; }
    if (!h.isPlain(t)) break;
    const actions = t.op.apply(t.args, diff, ctx);
    const size = actions.reduce((n, a) => n + (a.kind === 'put' ? sizeOf(a.data) : 0), 0);
    if (!groupableActions(actions) || bytes + size > GROUP_BYTES_LIMIT) break;
    bytes += size;
    touched.push(...fp);
    members.push({ t, probed, diff, actions });
    changing++;
    lastChanging = members.length - 1;
  }
  return { members: changing >= 2 ? members.slice(0, lastChanging + 1) : undefined, scanned: members };
}

/**
 * Applies a group in one round trip: the notified handlers are recorded first (as for any
 * change), then one `sh -s` carries every member's actions; each member is then reported as
 * if it ran alone: ok, changed, failed with the script's exit code and stderr, or skipped
 * after an earlier failure.
 *
 * @example
 * await applyGroup(host, await planGroup(host, tasks, 0))
 */
export async function applyGroup(h: GroupHost, members: readonly Member[]): Promise<void> {
  const changing = members.filter((m) => m.actions);
  const notify = [...new Set(changing.flatMap((m) => notifyList(m.t)))].filter((n) => !h.handlersDone.has(n));
  const ok = (m: Member): TaskResult => ({ status: 'ok', changes: [], reason: m.diff.noop, durationMs: 0 });
  const t0 = performance.now();
  let codes: (number | undefined)[] = [];
  let stderr = '';
  let failure: ShipshapeError | undefined;
  try {
    if (notify.length) await h.recordPending(notify);
    const g = groupScript(changing.map((m) => m.actions!));
    for (const m of changing) tellActions(h, m);
    h.quiet(true);
    const r = await h.transport.exec('sh -s', { stdin: g.script, become: members[0]!.t.become, signal: h.signal }).finally(() => h.quiet(false));
    codes = g.parse(r.stdout);
    stderr = r.stderr;
  } catch (e) {
    failure = toShipshapeError(e);
  }
  const ms = Math.round((performance.now() - t0) / Math.max(1, changing.length));
  let stopped = false;
  let c = 0;
  for (const m of members) {
    if (stopped) { h.skipAfterFailure(m.t); continue; }
    if (!m.actions) { h.settle(m.t, ok(m), [], m.probed); continue; }
    const code = failure ? undefined : codes[c];
    c++;
    if (code === 0) {
      h.changedBy(m.t);
      h.settle(m.t, { status: 'changed', changes: m.diff.changes, durationMs: ms, applyMs: ms }, notifyList(m.t).filter((n) => !h.handlersDone.has(n)), m.probed);
      continue;
    }
    stopped = true;
    h.changedBy(m.t);
    const ctx = { host: m.t.host, task: m.t.name, op: m.t.kind, callSite: m.t.callSite };
    const err = failure
      ? new ShipshapeError(failure.message, { ...ctx, unreachable: failure.unreachable, stderr: failure.stderr, cause: failure })
      : new ShipshapeError(code === undefined ? 'the change did not report back' : firstFailure(m.actions, code), {
        ...ctx, command: m.actions.map((a) => (a.kind === 'exec' ? a.shown ?? a.command : a.kind === 'put' ? `put ${a.path}` : a.kind)).join('\n'), exitCode: code, stderr,
      });
    const aborted = !!h.signal?.aborted && !err.unreachable;
    h.settle(m.t, aborted ? { status: 'aborted', changes: [], reason: 'interrupted while it ran', durationMs: ms }
      : { status: err.unreachable ? 'unreachable' : 'failed', changes: [], error: err, durationMs: ms }, [], m.probed);
  }
}

function firstFailure(actions: readonly Action[], code: number): string {
  const named = actions.find((a): a is Extract<Action, { kind: 'exec' }> => a.kind === 'exec' && a.failure !== undefined);
  return named?.failure ?? `command failed with exit code ${code}`;
}

/** `-v` shows the commands and uploads of a group as if each went on its own. */
function tellActions(h: GroupHost, m: Member): void {
  const task = taskInfo(m.t);
  const become = becomeUser(m.t.become);
  for (const a of m.actions ?? []) {
    if (a.kind === 'exec') h.emit({ type: 'command', host: h.host, task, phase: 'apply', command: a.command, ...(become ? { become } : {}) });
    else if (a.kind === 'put') h.emit({ type: 'upload', host: h.host, task, path: a.path, bytes: sizeOf(a.data), ...(become ? { become } : {}) });
  }
}
