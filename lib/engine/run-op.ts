import { ShipshapeError } from '../errors.js';
import { isSecret, reveal } from '../secret.js';
import type { Become, ExecResult, Transport } from '../transport/types.js';
import type { Action, Diff, OpContext, OpSpec, Probed } from '../ops/types.js';
import { Deferred } from './deferred.js';

export interface RunOpOptions extends OpContext {
  become?: Become;
  /** A probe result already in hand (from the batched probe); probed now when absent. */
  probed?: Probed;
  /** The diff of `probed`, when it was already computed. */
  diff?: Diff;
  /** Name shown in errors. */
  task?: string;
  /** An interrupt: running commands are signalled. */
  signal?: AbortSignal;
  /** Runs after the diff found changes and before the first action (not in check mode). */
  beforeApply?: () => Promise<void>;
  /** The host's deferred commands (`defer` actions); without it they run at the end of this op. */
  deferredRun?: Deferred;
  /** Connects to the host again after a `reconnect` action (a reboot); resolves to the new connection. */
  reconnect?: Reconnect;
}

/** Drops the host's connection and connects again until `rebooted` exits 0, within `timeoutMs`. */
export type Reconnect = (timeoutMs: number, rebooted: string, signal?: AbortSignal) => Promise<Transport>;

export interface OpOutcome {
  changed: boolean;
  diff: Diff;
  /** Output of the exec actions that ran (shell/command show it). */
  results: ExecResult[];
}

/**
 * Runs an op's probe alone.
 *
 * @example
 * await probeOp(fileOp, { path: '/etc/motd' }, transport, true, process.cwd())   // { stdout: 'file 644 ...', code: 0 }
 */
export async function probeOp<A>(op: OpSpec<A>, args: A, t: Transport, become: Become | undefined, baseDir: string): Promise<Probed> {
  return execProbe(op.probe(args, { baseDir }), t, become);
}

/**
 * Runs a probe script made already; no script (an op without a probe) reads as empty.
 *
 * @example
 * await execProbe(fileOp.probe({ path: '/etc/motd' }, { baseDir: '.' }), transport, undefined)
 */
export async function execProbe(script: string | undefined, t: Transport, become: Become | undefined): Promise<Probed> {
  if (script === undefined) return { stdout: '', code: 0 };
  const r = await t.exec(script, { become });
  return { stdout: r.stdout, code: r.code };
}

/**
 * probe → diff → apply for one op on one host. In check mode apply never runs.
 * A failing action throws a ShipshapeError with the command, exit code and stderr.
 *
 * @example
 * const { changed } = await runOp(fileOp, { path: '/tmp/x', content: 'hi\n' }, new LocalTransport(), { host: 'localhost', facts, baseDir: '.', check: false });
 */
export async function runOp<A>(op: OpSpec<A>, args: A, t: Transport, o: RunOpOptions): Promise<OpOutcome> {
  const probed = o.probed ?? (await probeOp(op, args, t, o.become, o.baseDir));
  const diff = o.probed && o.diff ? o.diff : await op.diff(args, probed, o);
  const changed = diff.changes.length > 0 || diff.unknown === true;
  if (diff.fails && changed && !o.check) {
    throw new ShipshapeError(diff.fails, { host: o.host, task: o.task ?? op.describe(args), op: op.kind });
  }
  if (!changed || o.check) return { changed, diff, results: [] };
  await o.beforeApply?.();
  const results = await executeActions(op.apply(args, diff, o), t, o.become, { host: o.host, task: o.task ?? op.describe(args), op: op.kind }, o.signal, o.deferredRun, o.reconnect);
  return { changed, diff, results };
}

/**
 * Runs apply's actions in order; stops at the first failure. `defer` actions go to `deferred`
 * (the host's); without one they run after the other actions.
 *
 * @example
 * await executeActions([{ kind: 'exec', command: 'nginx -t' }], transport, true, { host: 'web-01' })
 */
export async function executeActions(
  actions: Action[], t: Transport, become: Become | undefined, ctx: { host: string; task?: string; op?: string }, signal?: AbortSignal,
  deferred?: Deferred, reconnect?: Reconnect,
): Promise<ExecResult[]> {
  const results: ExecResult[] = [];
  const later = deferred ?? new Deferred();
  for (const a of actions) {
    if (a.kind === 'defer') {
      later.add(a.key, a.command, ctx, { become, failure: a.failure, fix: a.fix });
      continue;
    }
    if (a.kind === 'reconnect') {
      if (!reconnect) throw new ShipshapeError('this run cannot connect to the host again (a reboot needs the engine)', ctx);
      t = await reconnect(a.timeoutMs, a.rebooted, signal);
      continue;
    }
    if (a.kind === 'put') {
      const data = isSecret(a.data) ? reveal(a.data) : a.data;
      await t.put(a.path, data, { mode: a.mode, owner: a.owner, group: a.group, become });
      continue;
    }
    if (a.after) await later.flush(a.after, t, signal);
    const stdin = a.stdin === undefined ? undefined : isSecret(a.stdin) ? reveal(a.stdin) : a.stdin;
    if (signal?.aborted) throw new ShipshapeError('interrupted before it ran', { ...ctx, command: a.command });
    const r = await t.exec(a.command, { stdin, become, timeoutMs: a.timeoutMs, signal });
    results.push(r);
    if (!(a.okCodes ?? [0]).includes(r.code)) {
      throw new ShipshapeError(a.failure ?? `command failed with exit code ${r.code}`, {
        ...ctx, command: a.shown ?? a.command, exitCode: r.code, stderr: r.stderr, stdout: r.stdout,
      });
    }
    if (a.settles) later.drop(a.settles);
  }
  if (!deferred) await later.flush(undefined, t, signal);
  return results;
}
