/**
 * Commands an op defers to run once per host per run (`systemctl daemon-reload` after unit
 * files changed, `apt-get update` after a repository changed): several changed units in a
 * row cost one reload, run before the first action that needs it or at the host's end.
 */
import { ShipshapeError } from '../errors.js';
import type { DeferKey } from '../ops/types.js';
import type { Become, Transport } from '../transport/types.js';

interface Entry {
  command: string;
  failure?: string;
  fix?: string;
  become?: Become;
  /** The task that deferred it, named in an error. */
  ctx: { host: string; task?: string; op?: string };
}

/**
 * The pending deferred commands of one host, by key (the first one deferred wins).
 *
 * @example
 * const d = new Deferred();
 * d.add('daemon-reload', 'systemctl daemon-reload', { host: 'web-01', task: 'systemdUnit app.service' });
 * await d.flush(['daemon-reload'], transport);   // runs it once; a second flush does nothing
 */
export class Deferred {
  private readonly pending = new Map<DeferKey, Entry>();

  get keys(): ReadonlySet<DeferKey> {
    return new Set(this.pending.keys());
  }

  get size(): number {
    return this.pending.size;
  }

  add(key: DeferKey, command: string, ctx: Entry['ctx'], o: { become?: Become; failure?: string; fix?: string } = {}): void {
    if (!this.pending.has(key)) this.pending.set(key, { command, ctx, ...o });
  }

  /** Forgets the pending command of `key`: an action did the same. */
  drop(key: DeferKey): void {
    this.pending.delete(key);
  }

  /**
   * Runs the pending commands of `keys` (all when undefined), in the order they were deferred.
   * Each is dropped before it runs, so a failed one is not retried at the host's end. Throws a
   * ShipshapeError naming the task that deferred it.
   */
  async flush(keys: readonly DeferKey[] | undefined, t: Transport, signal?: AbortSignal): Promise<void> {
    for (const [key, e] of [...this.pending]) {
      if (keys && !keys.includes(key)) continue;
      this.pending.delete(key);
      if (signal?.aborted) throw new ShipshapeError('interrupted before it ran', { ...e.ctx, command: e.command });
      const r = await t.exec(e.command, { become: e.become, signal });
      if (r.code !== 0) {
        const first = e.failure ?? `${e.command} failed with exit code ${r.code}`;
        // The task that is running (or the host's end) owns the failure; the message names the one that asked.
        throw new ShipshapeError(`${first} (run once for ${e.ctx.task ?? 'an earlier task'})`, {
          host: e.ctx.host, command: e.command, exitCode: r.code, stderr: r.stderr, stdout: r.stdout, fix: e.fix,
        });
      }
    }
  }
}
