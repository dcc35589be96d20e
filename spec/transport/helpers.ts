import * as assert from 'uvu/assert';
import { ShipshapeError } from '../../lib/errors.js';

/** Awaits a promise that must reject; returns the error after checking its message (and full text). */
export function rejects(p: Promise<unknown>, re?: RegExp | string): Promise<ShipshapeError> {
  const r = check(p, re);
  // May be awaited only later (after the test made the command fail): never "unhandled" meanwhile.
  r.catch(() => undefined);
  return r;
}

async function check(p: Promise<unknown>, re?: RegExp | string): Promise<ShipshapeError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  if (err === undefined) assert.unreachable('expected a rejection');
  if (re) {
    const text = err instanceof ShipshapeError ? err.explain() : String(err);
    assert.match(text, re);
  }
  return err as ShipshapeError;
}

/** Rejects if `p` takes longer than `ms`: a hang fails the test instead of the run. */
export function within<T>(ms: number, p: Promise<T>, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms); }),
  ]);
}
