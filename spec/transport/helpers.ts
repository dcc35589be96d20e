import { waitFor } from '../support/wait.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import { ShipshapeError } from '../../lib/errors.js';
import type { PutChildJob } from './put-child.js';

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

/** Polls until `ok` holds within `ms` (spec/support/wait.ts, argument order of the transport specs). */
export const waitUntil = (ok: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> => waitFor(what, ok, ms);

/** Starts spec/transport/put-child.ts with a job; resolves once it printed `connected`. */
export async function startPutChild(job: PutChildJob): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./put-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  await waitUntil(() => {
    if (child.exitCode !== null) throw new Error(`put-child exited ${child.exitCode}: ${err}`);
    return out.includes('connected\n');
  }, 30_000, 'put-child connecting');
  return child;
}

/** SIGKILLs a child process and waits for it to be gone. */
export function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
