import { posix } from 'node:path';
import type { Footprint } from '../ops/types.js';
import type { Task } from '../plan/types.js';
import { quote } from '../transport/quote.js';

/** The batched probe's key for the real paths of the tasks' footprints. */
export const REAL_PATHS_KEY = 'realpaths';

const normal = (p: string) => {
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
};
/** `inner` is `outer` or below it. */
const within = (inner: string, outer: string) => inner === outer || outer === '/' || inner.startsWith(`${outer}/`);

/**
 * Whether a path read may have been changed by a path changed: the same path, a read of a
 * folder something below it changed in (`mkdir -p` makes parents, a mirrored tree lists its
 * content), or a read below a change that reaches its subtree (a link, a removal).
 *
 * @example
 * overlaps([{ path: '/srv/app/a.conf' }], [{ path: '/srv/app' }])                  // false: a new folder leaves what is below it absent
 * overlaps([{ path: '/srv/app/a.conf' }], [{ path: '/srv/app', subtree: true }])   // true
 */
export function overlaps(reads: readonly Footprint[], changed: readonly Footprint[]): boolean {
  return reads.some((r) => changed.some((c) => {
    const rp = normal(r.path);
    const cp = normal(c.path);
    return within(cp, rp) || ((c.subtree ?? false) && within(rp, cp));
  }));
}

/**
 * Which batched probe results stay valid after changes. A change by a task whose footprint is
 * known leaves the batched probes of tasks with disjoint footprints valid (a first run of
 * 8 files in a new folder probes once, not 9 times); a change by any other task, or a task
 * whose path goes through a symlink (its footprint could alias another), makes every task
 * read before it probe again. Paths with a symlink on the way are found in the batched probe
 * itself (`realpath -m`), so this costs no round trip. Probes read again later (a second
 * batch, after such a change) are judged by the changes made after that read only.
 *
 * @example
 * const changes = new ChangeTracker(hostTasks);
 * probes.push(...changes.probes());   // then, with the batch's results:
 * changes.read(results);
 * if (changes.batchValid(task)) useBatched(); else probeAgain();
 * changes.changedBy(task);            // after it changed something
 */
export class ChangeTracker {
  /** Every change so far, in order: its footprint, or undefined for "anything may have changed". */
  private readonly log: (readonly Footprint[] | undefined)[] = [];
  /** Tasks (by id) whose footprint paths were their own real paths when last read. */
  private readonly plain = new Set<string>();
  /** Where in the log each task's batched probe was last read (tasks not read are never valid). */
  private readonly readAt = new Map<string, number>();

  constructor(private readonly tasks: readonly Task[]) {}

  /** The footprint paths of `tasks` a batch can read back line by line (no newline in them). */
  private pathsOf(tasks: readonly Task[]): string[] {
    const all = new Set<string>();
    for (const t of tasks) for (const f of footprintOf(t) ?? []) all.add(normal(f.path));
    return [...all].filter((p) => !p.includes('\n'));
  }

  /** The probe for a batch of `tasks` (default: all): one line per footprint path, its real path (empty when unknown). */
  probes(tasks: readonly Task[] = this.tasks): { key: string; script: string }[] {
    const paths = this.pathsOf(tasks);
    if (!paths.length) return [];
    return [{ key: REAL_PATHS_KEY, script: `realpath -m -- ${paths.map(quote).join(' ')} 2>/dev/null` }];
  }

  /**
   * Reads a batch's results for `tasks` (default: all): the real paths, and which of them it
   * answered, which are valid from now on. A missing real-paths answer leaves none of them plain.
   */
  read(results: Map<string, { stdout: string; code: number }>, tasks: readonly Task[] = this.tasks): void {
    const r = results.get(REAL_PATHS_KEY);
    results.delete(REAL_PATHS_KEY);
    const paths = this.pathsOf(tasks);
    const lines = r && r.code === 0 ? r.stdout.split('\n') : [];
    const real = new Set(lines.length >= paths.length ? paths.filter((p, i) => lines[i] === p) : []);
    for (const t of tasks) {
      const fp = footprintOf(t);
      if (fp && fp.every((f) => real.has(normal(f.path)))) this.plain.add(t.id);
      else this.plain.delete(t.id);
      if (results.has(String(t.index))) this.readAt.set(t.id, this.log.length);
      else this.readAt.delete(t.id);
    }
  }

  /** The batched probe of `t` still tells its state. */
  batchValid(t: Task): boolean {
    const since = this.readAt.get(t.id);
    if (since === undefined) return false;
    const later = this.log.slice(since);
    if (!later.length) return true;
    if (later.some((c) => c === undefined)) return false;
    const fp = this.plain.has(t.id) ? footprintOf(t) : undefined;
    return fp !== undefined && !overlaps(fp, later.flat() as Footprint[]);
  }

  /** The paths of `t` are its own real paths: its changes can be told apart from others'. */
  isPlain(t: Task): boolean {
    return this.plain.has(t.id);
  }

  /** `t` changed something (or may have: it failed while applying). */
  changedBy(t: Task): void {
    this.log.push(this.plain.has(t.id) ? footprintOf(t) : undefined);
  }

  /** Anything may have changed (a reboot). */
  changedEverything(): void {
    this.log.push(undefined);
  }
}

function footprintOf(t: Task): Footprint[] | undefined {
  // Handlers run after the host's tasks; their probes are never batched.
  if (t.handler || !t.op.footprint) return undefined;
  try {
    return t.op.footprint(t.args);
  } catch {
    return undefined;
  }
}
