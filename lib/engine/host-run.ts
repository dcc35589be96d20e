import { toShipshapeError, ShipshapeError } from '../errors.js';
import type { Change, Diff, Facts, Probed, TaskAttempt } from '../ops/types.js';
import type { HostPlan, Task } from '../plan/types.js';
import type { EngineEvent, HostStats, TaskInfo, TaskResult } from '../report/events.js';
import type { Become, ExecResult, Transport } from '../transport/types.js';
import { factsProbe, parseFacts } from './facts.js';
import { factGroupsNeeded } from './facts-needed.js';
import { accountsOf, accountsProbe, missingAccounts, parseAccounts } from './accounts.js';
import { clearPendingScript, parsePending, readPendingScript, recordPendingScript } from './pending.js';
import { batchScript } from './probe-batch.js';
import { memoPrelude } from '../ops/probe-memo.js';
import { Deferred } from './deferred.js';
import { ChangeTracker } from './footprint.js';
import { applyGroup, planGroup, type GroupHost } from './host-group.js';
import { notifyList, sameBecome, supersedesList, taskInfo } from './task-info.js';
import { execProbe, runOp, type OpOutcome } from './run-op.js';
import { withRetries, retryPolicy } from './retry.js';
import { watchTransport } from './watched-transport.js';
import { holdsSecret } from '../secret.js';

/** What a task's earlier attempts left for the later ones (see HostRun.attempt). */
interface AttemptCarry {
  attempts?: number;
  /** Changes an earlier attempt made. */
  changes?: Change[];
  probeMs?: number;
  applyMs?: number;
}

export interface HostRunOptions {
  check: boolean;
  connect: (host: HostPlan) => Promise<Transport>;
  emit: (e: EngineEvent) => void;
  aborted: () => boolean;
  /** Run notified handlers even after a task of the host failed (Ansible's --force-handlers). */
  forceHandlers?: boolean;
  /** Fires on an interrupt: running commands are signalled, nothing new starts. */
  signal?: AbortSignal;
}


/**
 * The state of one host during a run: its connection, facts, batched probe results, and
 * whether it failed. Tasks of a host run one at a time, in order.
 */
export class HostRun {
  readonly stats: HostStats = { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, aborted: 0 };
  failed = false;
  unreachable = false;
  private transport?: Transport;
  private facts?: Facts;
  private batched = new Map<string, Probed>();
  private batchBecome?: Become;
  /** Diffs a group look-ahead computed for tasks that then ran alone, with the probe they came from. */
  private readonly diffs = new Map<string, { probed: Probed; diff: Diff }>();
  /** What changed since the batched probe ran: which later tasks must probe again. */
  private changes = new ChangeTracker([]);
  private readonly queued = new Set<string>();
  /** Check mode: the users and groups tasks name that exist on the host. */
  private accounts = { users: new Set<string>(), groups: new Set<string>() };
  /** Check mode: earlier tasks that would change something (they may create what later ones need). */
  private readonly wouldChange: Task[] = [];
  /** Handlers that already ran: a later notification of one is dropped, as in Ansible. */
  private readonly handlersDone = new Set<string>();
  /** Handler names listed in the host's pending file (read at start, or recorded since). */
  private readonly recorded = new Set<string>();
  /** Recorded names whose handler ran (or was superseded), removed from the host's file in one exec as the host finishes. */
  private readonly clearing = new Map<string, string>();
  private started = false;
  /** Commands ops deferred (one daemon-reload, one apt-get update), run once per host. */
  private readonly deferred = new Deferred();
  /** The task commands now sent serve (none: the host's own work), for the `command` events. */
  private doing: { task?: TaskInfo; phase: 'probe' | 'apply' | 'host' | 'batch' } = { phase: 'host' };
  /** The task whose failure stopped the host's later tasks. */
  private failedTask?: string;

  constructor(readonly plan: HostPlan, private readonly o: HostRunOptions) {}

  /** Connects, telling reporters of every command and upload the connection carries. */
  private async connect(): Promise<Transport> {
    const host = this.plan.name;
    const t = await this.o.connect(this.plan);
    return watchTransport(t, {
      exec: (command, become) => {
        const { task, phase } = this.doing;
        if (phase !== 'batch') this.o.emit({ type: 'command', host, task, phase, command, ...(become ? { become } : {}) });
      },
      put: (path, bytes, become) => this.o.emit({ type: 'upload', host, task: this.doing.task, path, bytes, ...(become ? { become } : {}) }),
    });
  }

  /**
   * After a reboot began: drops the connection, then connects again (every half second)
   * until the host answers and `rebooted` exits 0 there. Later tasks probe afresh. Fails as
   * unreachable when the host is not back within `timeoutMs`.
   */
  private async reconnect(timeoutMs: number, rebooted: string, signal?: AbortSignal): Promise<Transport> {
    const started = Date.now();
    const old = this.transport;
    this.transport = undefined;
    this.changes.changedEverything();
    await old?.close().catch(() => undefined);
    let last = 'it did not answer';
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      if (signal?.aborted) throw new ShipshapeError('interrupted while waiting for the host to come back from its reboot', { host: this.plan.name });
      let t: Transport | undefined;
      try {
        t = await this.connect();
        const r = await t.exec(rebooted, { timeoutMs: 10_000 });
        if (r.code === 0) {
          this.transport = t;
          return t;
        }
        last = 'it answered, but had not rebooted yet';
      } catch (e) {
        last = `${(e as Error).message.split('\n')[0]}`;
      }
      await t?.close().catch(() => undefined);
      if (Date.now() - started > timeoutMs) {
        throw new ShipshapeError(`the host did not come back within ${Math.round(timeoutMs / 1000)} s of its reboot (last try: ${last})`, {
          host: this.plan.name, unreachable: true, fix: 'look at its console; a longer timeout gives a slow boot more time',
        });
      }
    }
  }

  /** Connects, then reads facts and the probes of all tasks in one script. */
  private async start(): Promise<void> {
    this.started = true;
    this.o.emit({ type: 'host-start', host: this.plan.name });
    this.transport = await this.connect();
    const first = this.plan.tasks[0] ?? this.plan.handlers[0]?.tasks[0];
    this.batchBecome = first?.become;
    const probes = [{ key: 'facts', script: factsProbe(factGroupsNeeded(this.plan)) }, { key: 'pending', script: readPendingScript(this.stateDir) }];
    if (this.o.check) {
      const all = [...this.plan.tasks, ...this.plan.handlers.flatMap((h) => h.tasks)].map(accountsOf);
      const script = accountsProbe({ users: all.flatMap((a) => a.users), groups: all.flatMap((a) => a.groups) });
      if (script) probes.push({ key: 'accounts', script });
    }
    const batchable = this.plan.tasks.filter((t) => sameBecome(t.become, this.batchBecome));
    this.changes = new ChangeTracker(batchable);
    probes.push(...this.changes.probes());
    for (const t of batchable) {
      const s = this.batchProbe(t);
      if (s !== undefined) probes.push({ key: String(t.index), script: s });
    }
    const { r, results } = await this.sendBatch(probes, false, batchable);
    if (!results.has('facts')) {
      throw new ShipshapeError('could not read the host\'s state', { host: this.plan.name, exitCode: r.code, stderr: r.stderr, fix: this.batchBecome ? 'check that the login user may use sudo without a password, or give become a password' : undefined });
    }
    this.facts = parseFacts(results.get('facts')!.stdout, this.plan.options.vars ?? {}, this.plan.name);
    this.restorePending(parsePending(results.get('pending')?.stdout ?? ''));
    this.accounts = parseAccounts(results.get('accounts')?.stdout ?? '');
    results.delete('facts');
    results.delete('pending');
    results.delete('accounts');
    this.changes.read(results);
    this.batched = results;
  }

  /**
   * Runs probes as one batch script on the host, as the batch's become; told as one
   * probe-batch event (task probes are the numeric keys), not as a command: the script is
   * long and says little.
   */
  private async sendBatch(probes: { key: string; script: string }[], again: boolean, tasks: readonly Task[] = []): Promise<{ r: ExecResult; results: Map<string, Probed> }> {
    const paths = tasks.map((t) => t.op.probePaths?.(t.args, { baseDir: t.baseDir }) ?? {});
    const batch = batchScript(probes, undefined, memoPrelude({ stat: paths.flatMap((p) => p.stat ?? []), sum: paths.flatMap((p) => p.sum ?? []) }));
    const t0 = performance.now();
    this.doing = { phase: 'batch' };
    const r = await this.transport!.exec(batch.script, { become: this.batchBecome }).finally(() => { this.doing = { phase: 'host' }; });
    const results = batch.parse(r.stdout);
    const isTask = (k: string) => /^\d+$/.test(k);
    this.o.emit({
      type: 'probe-batch', host: this.plan.name, probes: probes.filter((p) => isTask(p.key)).length, answered: [...results.keys()].filter(isTask).length,
      scriptBytes: Buffer.byteLength(batch.script), outputBytes: Buffer.byteLength(r.stdout), durationMs: Math.round(performance.now() - t0), ...(again ? { again } : {}),
    });
    return { r, results };
  }

  private get stateDir(): string | undefined {
    const o = this.plan.options;
    return o.stateDir ?? (o.transport === 'local' ? process.env.SHIPSHAPE_STATE_DIR || undefined : undefined);
  }

  /** Queues the handlers an earlier run recorded and did not finish. */
  private restorePending(names: string[]): void {
    if (!names.length) return;
    const declared = new Set(this.plan.handlers.filter((h) => !h.skippedByTags).map((h) => h.name));
    const skipped = new Set(this.plan.handlers.filter((h) => h.skippedByTags).map((h) => h.name));
    for (const n of names) {
      this.recorded.add(n);
      if (declared.has(n)) this.queued.add(n);
    }
    this.o.emit({
      type: 'handlers-pending', host: this.plan.name, names: names.filter((n) => declared.has(n)), undeclared: names.filter((n) => !declared.has(n) && !skipped.has(n)),
      ...(names.some((n) => skipped.has(n)) ? { skippedByTags: names.filter((n) => skipped.has(n)) } : {}),
    });
  }

  /** Records notifications on the host before the change that makes them is applied. */
  private async recordPending(names: string[]): Promise<void> {
    // notified again before its clear was sent: it simply stays in the file
    for (const n of names) this.clearing.delete(n);
    const fresh = names.filter((n) => !this.recorded.has(n));
    if (!fresh.length) return;
    const r = await this.transport!.exec(recordPendingScript(fresh, this.stateDir), { become: this.batchBecome });
    if (r.code !== 0) {
      throw new ShipshapeError('could not record the handlers this change notifies, so nothing was changed', {
        host: this.plan.name, exitCode: r.code, stderr: r.stderr,
        fix: 'make the state folder writable (become, or the host option stateDir)',
      });
    }
    for (const n of fresh) this.recorded.add(n);
  }

  /** A change of a task with `supersedes`: those handlers' notifications so far are dropped, on the host too. */
  private supersede(t: Task): void {
    for (const name of supersedesList(t)) {
      if (this.handlersDone.has(name)) continue;
      this.queued.delete(name);
      if (!this.o.check) this.clearPending(name, `"${t.name}" did its work`);
    }
  }

  /**
   * Marks a recorded handler as done; the host's file loses it in flushClears (one exec for all),
   * a round trip per handler saved. Should the run die before that, the handler runs again next
   * time: the safe side.
   */
  private clearPending(name: string, why = 'ran'): void {
    if (this.recorded.has(name)) this.clearing.set(name, why);
  }

  private async flushClears(): Promise<void> {
    if (!this.clearing.size) return;
    const script = clearPendingScript([...this.clearing.keys()], this.stateDir);
    const r = this.transport
      ? await this.transport.exec(script, { become: this.batchBecome }).catch((e: Error) => ({ code: -1, stderr: e.message }))
      : { code: -1, stderr: 'the connection to the host is gone' };
    for (const [name, why] of this.clearing) {
      if (r.code === 0) this.recorded.delete(name);
      else this.o.emit({ type: 'warning', host: this.plan.name, message: `handler "${name}" ${why}, but could not be removed from the pending list (${r.stderr.trim()}): it runs again next time` });
    }
    this.clearing.clear();
  }

  /**
   * Runs tasks in order; a failure stops the rest of this host only. With `force` (handlers
   * under --force-handlers) an earlier failure of the host does not stop them, only a failure
   * among these tasks does. True when all of them succeeded.
   */
  async runTasks(tasks: Task[], blocked?: string, force = false): Promise<boolean> {
    const failedBefore = this.stats.failed;
    const failedHere = () => this.stats.failed > failedBefore;
    let noGroupBefore = 0;
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[i]!;
      if (this.unreachable) return false;
      const halted = force ? failedHere() : this.failed;
      if (blocked || halted || this.o.aborted()) {
        this.skip(t, blocked ?? (halted ? 'an earlier task on this host failed' : 'the run was aborted'), !blocked && halted ? this.failedTask : undefined);
        continue;
      }
      if (!this.started) {
        try {
          await this.start();
        } catch (e) {
          // Connected, but the host's state could not be read (sudo refused, no sh): the host
          // failed. Anything else here means it could not be reached.
          if (e instanceof ShipshapeError && !e.unreachable && this.transport) {
            this.failed = true;
            this.failedTask = t.name;
            this.stats.failed++;
            this.o.emit({ type: 'task-end', task: taskInfo(t), result: { status: 'failed', changes: [], error: withTaskContext(e, t), durationMs: 0 }, check: this.o.check });
            continue;
          }
          const err = toShipshapeError(e, { host: this.plan.name, unreachable: true });
          this.unreachable = true;
          this.stats.unreachable++;
          this.o.emit({ type: 'host-unreachable', host: this.plan.name, error: err });
          return false;
        }
      }
      // A failed script only costs the round trip: each task then probes on its own, and its
      // own probe reports the failure (an unreachable host, sudo refused) against the task.
      if (this.staleProbe(t) !== undefined) await this.rebatch(tasks, i).catch(() => undefined);
      // Consecutive file-like changes go to the host as one script. Tasks looked at and not
      // grouped keep their diff (computed once) and are not looked at again.
      if (!this.o.check && i >= noGroupBefore && t.kind !== 'flushHandlers') {
        const host = this.groupHost();
        const { members, scanned } = await planGroup(host, tasks, i);
        if (members) {
          await applyGroup(host, members);
          i += members.length - 1;
          continue;
        }
        noGroupBefore = i + Math.max(1, scanned.length);
        for (const m of scanned) this.diffs.set(m.t.id, { probed: m.probed, diff: m.diff });
      }
      await this.runTask(t);
    }
    return !blocked && !failedHere() && !this.unreachable;
  }

  /** The probe script of a task of the host's own list whose batched probe no longer tells its state, else undefined. */
  private staleProbe(t: Task): string | undefined {
    if (t.handler || t.kind === 'flushHandlers' || !sameBecome(t.become, this.batchBecome) || this.changes.batchValid(t)) return undefined;
    return this.batchProbe(t);
  }

  /** A task's probe for a batch: with the host's variables, so a template they settle sends its checksum. */
  private batchProbe(t: Task): string | undefined {
    return t.op.probe(t.args, { baseDir: t.baseDir, vars: this.plan.options.vars });
  }

  /**
   * After a change made the batched probes of later tasks stale: reads `tasks[i]` and the
   * stale ones after it again in one script, up to and including the first one without a
   * footprint (a change by that one would make what follows stale again; so would a handler
   * a flush runs, which the change log tells). One task alone is left to probe on its own, which costs the same.
   */
  private async rebatch(tasks: Task[], i: number): Promise<void> {
    const window: { t: Task; script: string }[] = [];
    for (let j = i; j < tasks.length; j++) {
      const t = tasks[j]!;
      if (t.handler) break;
      const script = this.staleProbe(t);
      if (script === undefined) continue;
      window.push({ t, script });
      if (j > i && !t.op.footprint) break;
    }
    if (window.length < 2) return;
    const read = window.map((w) => w.t);
    const { results } = await this.sendBatch([...this.changes.probes(read), ...window.map((w) => ({ key: String(w.t.index), script: w.script }))], true, read);
    for (const t of read) this.batched.delete(String(t.index));
    this.changes.read(results, read);
    for (const [k, v] of results) this.batched.set(k, v);
  }

  /** What grouped applies (host-group.ts) use of this run. */
  private groupHost(): GroupHost {
    return {
      host: this.plan.name, facts: this.facts!, transport: this.transport!, signal: this.o.signal, deferred: this.deferred.keys,
      batchedProbe: (t) => (sameBecome(t.become, this.batchBecome) && this.changes.batchValid(t) ? this.batched.get(String(t.index)) : undefined),
      isPlain: (t) => this.changes.isPlain(t),
      handlersDone: this.handlersDone,
      emit: this.o.emit,
      quiet: (on) => { this.doing = on ? { phase: 'batch' } : { phase: 'host' }; },
      recordPending: (names) => this.recordPending(names),
      settle: (t, result, notify, probed) => {
        const info = taskInfo(t);
        this.o.emit({ type: 'task-start', task: info });
        if (probed) this.tellProbe(t, probed, true, 0);
        if (result.status === 'changed') for (const x of notify) this.queued.add(x);
        else if (result.status === 'failed') { this.failed = true; this.failedTask = t.name; }
        else if (result.status === 'unreachable') this.unreachable = true;
        this.count(result.status);
        this.o.emit({ type: 'task-end', task: info, result, check: false });
      },
      changedBy: (t) => this.changes.changedBy(t),
      skipAfterFailure: (t) => this.skip(t, this.unreachable ? 'the host became unreachable' : 'an earlier task on this host failed', this.unreachable ? undefined : this.failedTask),
    };
  }

  /** The task's probe result for `-vv`; what a probe reads back for a secret (its content as base64, its checksum) is not shown. */
  private tellProbe(t: Task, probed: Probed, batched: boolean, ms: number): void {
    const hidden = holdsSecret(t.args);
    this.o.emit({ type: 'task-probe', task: taskInfo(t), stdout: hidden ? '' : probed.stdout, code: probed.code, batched, durationMs: Math.round(ms), ...(hidden ? { hidden } : {}) });
  }

  private skip(t: Task, reason: string, afterFailureOf?: string): void {
    this.stats.skipped++;
    this.o.emit({ type: 'task-end', task: taskInfo(t), result: { status: 'skipped', changes: [], reason, ...(afterFailureOf !== undefined ? { afterFailureOf } : {}), durationMs: 0 }, check: this.o.check });
  }

  private async runTask(t: Task): Promise<void> {
    if (t.kind === 'flushHandlers') return this.flush(t);
    const info = taskInfo(t);
    const t0 = performance.now();
    this.o.emit({ type: 'task-start', task: info });
    this.doing = { task: info, phase: 'probe' };
    let result: TaskResult;
    // Check mode applies nothing: nothing to retry, no real result for until.
    const policy = this.o.check ? undefined : retryPolicy(t.options);
    const carry: AttemptCarry = {};
    try {
      if (t.options.when && !t.options.when(this.facts!)) {
        result = { status: 'skipped', changes: [], reason: 'when was false', durationMs: 0 };
      } else if (!policy) {
        result = (await this.attempt(t, 1, carry)).value;
      } else {
        result = (await withRetries(policy, (n) => this.attempt(t, n, carry), {
          signal: this.o.signal, aborted: this.o.aborted,
          onRetry: (attempt, attempts, delayMs, reason) => this.o.emit({ type: 'task-retry', task: info, attempt, attempts, delayMs, reason }),
        })).value;
      }
    } catch (e) {
      const withTask = withTaskContext(toShipshapeError(e), t);
      if (this.o.aborted() && !withTask.unreachable) {
        // Stopped by the interrupt, not failed: later tasks are skipped as aborted.
        result = { status: 'aborted', changes: [], reason: 'interrupted while it ran', durationMs: 0 };
      } else {
        result = { status: withTask.unreachable ? 'unreachable' : 'failed', changes: [], error: withTask, durationMs: 0 };
        if (withTask.unreachable) this.unreachable = true;
        else { this.failed = true; this.failedTask = t.name; }
      }
    }
    this.doing = { phase: 'host' };
    result.durationMs = Math.round(performance.now() - t0);
    if (carry.probeMs !== undefined) result.probeMs = Math.round(carry.probeMs);
    if (carry.applyMs !== undefined) result.applyMs = Math.round(carry.applyMs);
    if (policy && carry.attempts) result.attempts = carry.attempts;
    this.count(result.status);
    this.o.emit({ type: 'task-end', task: info, result, check: this.o.check });
  }

  /**
   * One attempt of a task: probe (the batched result serves a first attempt only), diff,
   * apply; throws when it fails. An earlier attempt that changed something, or failed while
   * applying, leaves that in `carry`: the task is then changed and notifies its handlers even
   * when this attempt finds nothing left to do.
   */
  private async attempt(t: Task, n: number, carry: AttemptCarry): Promise<{ value: TaskResult; attempt: TaskAttempt }> {
    carry.attempts = n;
    const useBatch = n === 1 && this.changes.batchValid(t) && !t.handler && sameBecome(t.become, this.batchBecome) && this.batched.has(String(t.index));
    this.doing = { task: taskInfo(t), phase: 'probe' };
    const p0 = performance.now();
    // A probe of its own: the script is made once (a copy's or a template's hashes its content).
    const script = useBatch ? undefined : t.op.probe(t.args, { baseDir: t.baseDir });
    const probed = useBatch ? this.batched.get(String(t.index))! : await execProbe(script, this.transport!, t.become);
    const ahead = this.diffs.get(t.id);
    this.diffs.delete(t.id);
    const probeMs = useBatch ? 0 : performance.now() - p0;
    carry.probeMs = (carry.probeMs ?? 0) + probeMs;
    if (useBatch || script !== undefined) this.tellProbe(t, probed, useBatch, probeMs);
    this.doing = { task: taskInfo(t), phase: 'apply' };
    const notify = notifyList(t).filter((x) => !this.handlersDone.has(x));
    let applying = false;
    let applyStart: number | undefined;
    const applied = () => { if (applyStart !== undefined) carry.applyMs = (carry.applyMs ?? 0) + performance.now() - applyStart; };
    let out: OpOutcome;
    try {
      out = await runOp(t.op, t.args, this.transport!, {
        host: t.host, facts: this.facts!, baseDir: t.baseDir, check: this.o.check, become: t.become, probed, task: t.name, signal: this.o.signal,
        ...(ahead?.probed === probed ? { diff: ahead.diff } : {}),
        deferred: this.deferred.keys, deferredRun: this.deferred,
        reconnect: (ms, rebooted, signal) => this.reconnect(ms, rebooted, signal),
        beforeApply: async () => { applyStart = performance.now(); if (notify.length) await this.recordPending(notify); applying = true; },
      });
      applied();
    } catch (e) {
      applied();
      if (applying) {
        this.changes.changedBy(t);
        carry.changes ??= [{ what: `applied in part by attempt ${n}, which failed` }];
      }
      throw e;
    }
    if (out.changed && !this.o.check) this.changes.changedBy(t);
    const earlier = !out.changed ? carry.changes : undefined;
    if (out.changed || earlier) for (const x of notify) this.queued.add(x);
    if (out.changed) this.supersede(t);
    if (out.changed && !this.o.check) carry.changes = out.diff.changes;
    const stdout = out.results.map((r) => r.stdout).join('');
    const verdict = this.o.check && out.changed ? this.checkVerdict(t, out.diff) : {};
    if (this.o.check && out.changed && !verdict.wouldFail) this.wouldChange.push(t);
    const result: TaskResult = {
      status: verdict.wouldFail ? 'failed' : out.changed || earlier ? 'changed' : 'ok', changes: earlier ?? out.diff.changes, unknown: out.diff.unknown,
      reason: out.changed || earlier ? undefined : out.diff.noop, stdout: stdout || undefined, durationMs: 0, ...verdict,
    };
    if (verdict.wouldFail) {
      result.error = withTaskContext(new ShipshapeError(`would fail: ${verdict.wouldFail}`), t);
    }
    const last = out.results[out.results.length - 1];
    return {
      value: result,
      attempt: {
        attempt: n, status: out.changed ? 'changed' : 'ok', changed: out.changed, changes: out.diff.changes,
        stdout, stderr: out.results.map((r) => r.stderr).join(''), exitCode: last?.code,
      },
    };
  }

  /**
   * Check mode: whether a change would fail for sure (`wouldFail`, counted as a failure, but
   * the host goes on being checked) or cannot be known yet (`uncertain`). What an earlier
   * task of the plan would change (packages, package lists) makes a failure uncertain.
   */
  private checkVerdict(t: Task, diff: { fails?: string; uncertain?: string }): { wouldFail?: string; uncertain?: string } {
    const earlierApt = this.wouldChange.some((e) => e.kind === 'apt' || e.kind === 'aptRepository');
    if (diff.fails) return earlierApt ? { uncertain: `${diff.fails}; an earlier apt task may change that` } : { wouldFail: diff.fails };
    const m = missingAccounts(t, this.accounts, this.wouldChange);
    if (m) return m.certain ? { wouldFail: m.reason } : { uncertain: m.reason };
    return diff.uncertain ? { uncertain: diff.uncertain } : {};
  }

  private count(s: TaskResult['status']): void {
    if (s === 'ok') this.stats.ok++;
    else if (s === 'changed') { this.stats.ok++; this.stats.changed++; }
    else if (s === 'failed') this.stats.failed++;
    else if (s === 'skipped') this.stats.skipped++;
    else if (s === 'aborted') this.stats.aborted++;
    else this.stats.unreachable++;
  }

  /** flushHandlers(): the queued handlers run here; notified again later, they run again. */
  private async flush(t: Task): Promise<void> {
    const info = taskInfo(t);
    this.o.emit({ type: 'task-start', task: info });
    const only = (t.args as { handlers?: string[] }).handlers;
    const queued = this.plan.handlers.filter((h) => this.queued.has(h.name) && (!only || only.includes(h.name))).map((h) => h.name);
    if (t.options.when && !t.options.when(this.facts!)) {
      this.skip(t, 'when was false');
      return;
    }
    // The flush's own line comes first; the handlers' lines follow it.
    this.count('ok');
    this.o.emit({ type: 'task-end', task: info, result: { status: 'ok', changes: [], reason: queued.length ? `running ${queued.join(', ')}` : 'no handler is queued', durationMs: 0 }, check: this.o.check });
    await this.runHandlers(only ? new Set(only) : undefined);
    for (const n of this.handlersDone) this.queued.delete(n);
    this.handlersDone.clear();
  }

  /** Runs the queued handlers once each, in declaration order; a handler may notify others. */
  async runHandlers(only?: Set<string>): Promise<void> {
    const done = this.handlersDone;
    // A handler that restarts with a plain command sees the reloaded units.
    if (this.plan.handlers.some((h) => this.queued.has(h.name) && !done.has(h.name))) await this.runDeferred();
    for (;;) {
      const next = this.plan.handlers.find((h) => this.queued.has(h.name) && !done.has(h.name) && (!only || only.has(h.name)));
      if (!next) return;
      done.add(next.name);
      if (next.skippedByTags) {
        const kept = this.recorded.has(next.name) && !this.o.check ? '; it stays pending on the host and runs next time' : '';
        for (const t of next.tasks) this.skip(t, `handler "${next.name}" was notified but --skip-tags skips it${kept}`);
        continue;
      }
      const force = this.o.forceHandlers === true && this.failed;
      if ((this.failed && !force) || this.unreachable || this.o.aborted()) {
        const why = this.o.aborted() ? 'the run was aborted' : `the host ${this.unreachable ? 'became unreachable' : 'failed'}`;
        const kept = this.recorded.has(next.name) && !this.o.check ? '; it stays pending on the host and runs next time' : '';
        for (const t of next.tasks) this.skip(t, `handler "${next.name}" was notified but not run: ${why}${kept}`);
        continue;
      }
      const ok = await this.runTasks(next.tasks, undefined, force);
      if (ok && !this.o.check) this.clearPending(next.name);
    }
  }

  async finish(): Promise<void> {
    await this.runHandlers();
    await this.flushClears();
    await this.runDeferred();
    await this.close();
    this.o.emit({ type: 'host-end', host: this.plan.name, stats: this.stats });
  }

  /**
   * Runs what tasks deferred and nothing ran yet (the host's end, before handlers). A failure
   * fails the host and shows as a task of its own.
   */
  private async runDeferred(): Promise<void> {
    if (!this.deferred.size || !this.transport || this.unreachable || this.o.aborted()) return;
    try {
      await this.deferred.flush(undefined, this.transport, this.o.signal);
    } catch (e) {
      const err = toShipshapeError(e, { host: this.plan.name });
      const task: TaskInfo = { id: `${this.plan.name}#deferred`, host: this.plan.name, name: `deferred: ${err.command ?? 'command'}`, op: 'deferred' };
      this.failed = true;
      this.count('failed');
      this.o.emit({ type: 'task-start', task });
      this.o.emit({ type: 'task-end', task, result: { status: 'failed', changes: [], error: err, durationMs: 0 }, check: this.o.check });
    }
  }

  async close(): Promise<void> {
    const t = this.transport;
    this.transport = undefined;
    await t?.close().catch(() => undefined);
  }

  get ok(): boolean {
    return !this.failed && !this.unreachable;
  }
}

/** The error with the task's host, name, op and call site filled in where it lacks them. */
function withTaskContext(err: ShipshapeError, t: Task): ShipshapeError {
  if (err.host && err.task && err.callSite) return err;
  return new ShipshapeError(err.message, {
    host: err.host ?? t.host, task: err.task ?? t.name, op: err.op ?? t.kind, callSite: err.callSite ?? t.callSite,
    command: err.command, exitCode: err.exitCode, stderr: err.stderr, stdout: err.stdout, fix: err.fix,
    unreachable: err.unreachable, cause: err.cause ?? err,
  });
}

