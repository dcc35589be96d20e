import { readFileSync } from 'node:fs';
// Waiting for an event in a test, never for a guessed delay: poll what shows the event (a
// marker file a command writes, a process gone) and give up after a generous bound, naming
// what did not happen. The bound is for a hang, not a timing the test asserts.

/**
 * Resolves once `ok()` holds (checked every 20 ms); rejects after `ms` naming `what`.
 *
 * @example
 * await waitFor('the long task to start', () => existsSync(startedFile));
 */
export async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000, everyMs = 20): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`waited ${ms / 1000} s for ${what}, in vain`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * `p`, or a rejection naming `what` when it has not settled after `ms`: a hang fails the test
 * instead of stalling the suite.
 *
 * @example
 * const result = await settles('the run after the kill', deployProject(p, opts));
 */
export async function settles<T>(what: string, p: Promise<T>, ms = 60_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms / 1000} s`)), ms); }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether a process of this machine still runs (a zombie does not count: it has ended and only
 * waits to be reaped).
 *
 * @example
 * await waitFor('the child to be gone', () => !running(pid));
 */
export function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
