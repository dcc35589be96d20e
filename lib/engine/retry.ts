/**
 * `retries`, `delay` and `until` (Ansible's): a task run again after a failed attempt, or
 * until a predicate holds. The loop knows nothing of ops; the host runner gives it one attempt.
 */
import { ShipshapeError, toShipshapeError } from '../errors.js';
import type { CommonOptions, TaskAttempt } from '../ops/types.js';

/** Retries when `until` is given without `retries`, as Ansible. */
export const UNTIL_RETRIES = 3;
/** Seconds between attempts when `delay` is not given, as Ansible. */
export const DEFAULT_DELAY = 5;

export interface RetryPolicy {
  /** At most this many attempts: 1 + retries. */
  attempts: number;
  delayMs: number;
  until?: (r: TaskAttempt) => boolean;
}

/**
 * The policy of a task's options, or undefined when it has neither `retries` nor `until` (it
 * runs once, as always). The engine asks for none in check mode: nothing is applied there, so
 * there is nothing to retry and no real result to ask `until` about.
 *
 * @example
 * retryPolicy({ until: (r) => r.stdout.includes('up') })   // { attempts: 4, delayMs: 5000, until: [Function] }
 */
export function retryPolicy(o: CommonOptions): RetryPolicy | undefined {
  if (o.retries === undefined && o.until === undefined) return undefined;
  const retries = o.retries ?? (o.until ? UNTIL_RETRIES : 0);
  return { attempts: retries + 1, delayMs: Math.round((o.delay ?? DEFAULT_DELAY) * 1000), until: o.until };
}

/** Waits `ms`, or less when `signal` fires. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); signal?.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A failed attempt as `until` sees it. */
export function failedAttempt(attempt: number, error: ShipshapeError): TaskAttempt {
  return { attempt, status: 'failed', changed: false, changes: [], stdout: error.stdout ?? '', stderr: error.stderr ?? '', exitCode: error.exitCode, error };
}

/** `changed, exit 0, stdout "…"`: an attempt on one line, for messages. */
export function attemptText(a: TaskAttempt): string {
  if (a.error) return `failed: ${a.error.message.split('\n')[0]}`;
  const out = a.stdout.trim().split('\n').pop() ?? '';
  return [a.status, a.exitCode !== undefined && `exit ${a.exitCode}`, out && `stdout ${JSON.stringify(out.length > 80 ? `${out.slice(0, 79)}…` : out)}`]
    .filter(Boolean).join(', ');
}

export interface RetryHooks {
  signal?: AbortSignal;
  aborted(): boolean;
  /** Attempt `next` of `attempts` starts after `delayMs`; `reason` says why the last one did not do. */
  onRetry(next: number, attempts: number, delayMs: number, reason: string): void;
}

/**
 * Runs `attempt` (which throws when the attempt fails) until it succeeds, or `until` holds,
 * or the attempts run out: then it throws naming the attempts made and the last result. An
 * unreachable host or an interrupt ends it at once, with that error.
 *
 * @example
 * const { value, attempts } = await withRetries(retryPolicy(task.options)!, (n) => runOnce(n), hooks);
 */
export async function withRetries<R>(
  policy: RetryPolicy, attempt: (n: number) => Promise<{ value: R; attempt: TaskAttempt }>, hooks: RetryHooks,
): Promise<{ value: R; attempts: number }> {
  for (let n = 1; ; n++) {
    let got: { value: R; attempt: TaskAttempt } | undefined;
    let a: TaskAttempt;
    try {
      got = await attempt(n);
      a = got.attempt;
    } catch (e) {
      const err = toShipshapeError(e);
      if (err.unreachable || hooks.aborted()) throw err;
      a = failedAttempt(n, err);
    }
    let done: boolean;
    try {
      done = policy.until ? policy.until(a) === true : !a.error;
    } catch (e) {
      throw new ShipshapeError(`until threw on attempt ${n}: ${(e as Error)?.message ?? String(e)}`, { cause: e, fix: 'until must return true or false for every result, failed ones included' });
    }
    if (done) {
      if (a.error) throw a.error;
      return { value: got!.value, attempts: n };
    }
    // retries: 0 without until is no retry at all: the error as it was.
    if (n >= policy.attempts) throw policy.attempts === 1 && !policy.until && a.error ? a.error : exhausted(a, n, policy.until !== undefined);
    const reason = a.error ? a.error.message.split('\n')[0]! : `until was false (${attemptText(a)})`;
    hooks.onRetry(n + 1, policy.attempts, policy.delayMs, reason);
    await pause(policy.delayMs, hooks.signal);
    if (hooks.aborted()) throw new ShipshapeError(`interrupted while waiting to retry (attempt ${n + 1} of ${policy.attempts})`);
  }
}

/** The error when the attempts ran out: how many, and the last one's result and output. */
function exhausted(a: TaskAttempt, n: number, until: boolean): ShipshapeError {
  const times = `${n} attempt${n === 1 ? '' : 's'}`;
  const e = a.error;
  const summary = e
    ? `failed after ${times}${until ? ' (until was false)' : ''}: ${e.message}`
    : `until was still false after ${times} (last result: ${attemptText(a)})`;
  return new ShipshapeError(summary, {
    host: e?.host, task: e?.task, op: e?.op, command: e?.command, callSite: e?.callSite,
    exitCode: a.exitCode, stdout: a.stdout || undefined, stderr: a.stderr || undefined,
    fix: e?.fix ?? 'more retries or a longer delay give it more time', cause: e,
  });
}
