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
 * whose path goes through a symlink (its footprint could alias another), makes every later
 * task probe again. Paths with a symlink on the way are found in the batched probe itself
 * (`realpath -m`), so this costs no round trip.
 *
 * @example
 * const changes = new ChangeTracker(hostTasks);
 * probes.push(...changes.probes());   // then, with the batch's results:
 * changes.read(results);
 * if (changes.batchValid(task)) useBatched(); else probeAgain();
 * changes.changedBy(task);            // after it changed something
 */
export class ChangeTracker {
  private anything = false;
  private readonly changed: Footprint[] = [];
  /** Tasks (by id) whose footprint paths are their own real paths. */
  private readonly plain = new Set<string>();
  private readonly paths: string[];

  constructor(private readonly tasks: readonly Task[]) {
    const all = new Set<string>();
    for (const t of tasks) for (const f of footprintOf(t) ?? []) all.add(normal(f.path));
    // A path with a newline cannot be read back line by line: its task is never plain.
    this.paths = [...all].filter((p) => !p.includes('\n'));
  }

  /** The probe for the batch: one line per footprint path, its real path (empty when unknown). */
  probes(): { key: string; script: string }[] {
    if (!this.paths.length) return [];
    return [{ key: REAL_PATHS_KEY, script: `for p in ${this.paths.map(quote).join(' ')}; do printf '%s\\n' "$(realpath -m -- "$p" 2>/dev/null)"; done` }];
  }

  /** Reads the real paths from the batch's results (a missing answer leaves no task plain). */
  read(results: Map<string, { stdout: string; code: number }>): void {
    const r = results.get(REAL_PATHS_KEY);
    results.delete(REAL_PATHS_KEY);
    if (!r || r.code !== 0) return;
    const lines = r.stdout.split('\n');
    if (lines.length < this.paths.length) return;
    const real = new Set(this.paths.filter((p, i) => lines[i] === p));
    for (const t of this.tasks) {
      const fp = footprintOf(t);
      if (fp && fp.every((f) => real.has(normal(f.path)))) this.plain.add(t.id);
    }
  }

  /** The batched probe of `t` still tells its state. */
  batchValid(t: Task): boolean {
    if (this.anything) return false;
    if (!this.changed.length) return true;
    const fp = this.plain.has(t.id) ? footprintOf(t) : undefined;
    return fp !== undefined && !overlaps(fp, this.changed);
  }

  /** The paths of `t` are its own real paths: its changes can be told apart from others'. */
  isPlain(t: Task): boolean {
    return this.plain.has(t.id);
  }

  /** `t` changed something (or may have: it failed while applying). */
  changedBy(t: Task): void {
    const fp = this.plain.has(t.id) ? footprintOf(t) : undefined;
    if (fp) this.changed.push(...fp);
    else this.anything = true;
  }

  /** Anything may have changed (a reboot). */
  changedEverything(): void {
    this.anything = true;
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
