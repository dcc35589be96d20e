/** A lock file (O_EXCL) guarding the lab dir: the cache, address allocations, the bridge, known_hosts. */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ShipshapeError } from '../errors.js';
import { isAlive, procRef, type ProcRef } from './proc.js';

/** Waits this long for another `lab` command (a base build takes about a minute). */
const DEFAULT_WAIT_MS = 15 * 60 * 1000;

// Calls in this process queue here first (per lock file): the file alone cannot tell two
// callers of one PID apart.
const chains = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` holding the lock file `path`. A lock left by a dead process (its PID gone or
 * reused, judged by the start time written into the file) is taken over.
 *
 * @example
 * await withLock('/var/cache/shipshape/lab/lock', () => buildBase(...))
 */
export function withLock<T>(path: string, fn: () => Promise<T>, opts: { waitMs?: number; log?: (l: string) => void } = {}): Promise<T> {
  const next = (chains.get(path) ?? Promise.resolve()).then(() => holdFile(path, fn, opts));
  const tail = next.catch(() => undefined);
  chains.set(path, tail);
  void tail.then(() => { if (chains.get(path) === tail) chains.delete(path); });
  return next;
}

async function holdFile<T>(path: string, fn: () => Promise<T>, opts: { waitMs?: number; log?: (l: string) => void }): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const me = procRef(process.pid)!;
  const until = Date.now() + (opts.waitMs ?? DEFAULT_WAIT_MS);
  let told = false;
  for (;;) {
    if (tryCreate(path, me)) break;
    const holder = readHolder(path);
    if (holder === undefined || !isAlive(holder)) {
      // stale (or half-written by a process that died before writing): remove and retry
      if (holder !== undefined || ageMs(path) > 2000) rmSync(path, { force: true });
    } else if (Date.now() > until) {
      throw new ShipshapeError(`the lab is locked by process ${holder.pid} (${path})`, {
        fix: `wait for that "shipshape lab" command to finish; if it is stuck, stop it (kill ${holder.pid})`,
      });
    } else if (!told) {
      opts.log?.(`waiting for another lab command (pid ${holder.pid}) to finish`);
      told = true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}

function tryCreate(path: string, me: ProcRef): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, `${me.pid} ${me.start}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readHolder(path: string): ProcRef | undefined {
  try {
    const [pid, start] = readFileSync(path, 'utf8').trim().split(' ');
    return pid && start ? { pid: Number(pid), start } : undefined;
  } catch {
    return undefined;
  }
}

function ageMs(path: string): number {
  try {
    const { mtimeMs } = statSync(path);
    return Date.now() - mtimeMs;
  } catch {
    return 0;
  }
}
