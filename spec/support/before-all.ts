// A suite's setup whose failure is seen. uvu swallows an error thrown by a before hook (its
// runner returns from a `finally`): the tests just do not run, with no reason anywhere.
import type { Test } from 'uvu';

/** The whole story of an error: a ShipshapeError's explain(), else its stack. */
export function describeError(e: unknown): string {
  const err = e as Error & { explain?: () => string };
  if (typeof err?.explain === 'function') return err.explain();
  return err instanceof Error ? (err.stack ?? err.message) : String(e);
}

/**
 * Registers `setup` as the suite's before hook, keeping its error instead of letting uvu
 * swallow it: every test then fails with it (the first with the whole reason, the others
 * in one line). `what` names the setup in those failures.
 *
 * @example
 * let s: Sshd;
 * beforeAll(test, 'starting sshd', async () => { s = await startSshd(); });
 * test.after(async () => { await s?.stop(); });
 */
export function beforeAll<T>(test: Test<T>, what: string, setup: () => unknown): void {
  let failure: { error: unknown } | undefined;
  let told = false;
  test.before(async () => {
    try {
      await setup();
    } catch (error) {
      failure = { error };
    }
  });
  test.before.each(() => {
    if (!failure) return;
    const e = new Error(told ? `${what} failed (the reason is in this suite's first failure)` : `${what} failed: ${describeError(failure.error)}`);
    // The message holds the reason with its stack; uvu would print this error's own stack too.
    e.stack = e.message.split('\n')[0];
    told = true;
    throw e;
  });
}
