/** sync: STUB (being implemented). */
import type { OpSpec } from './types.js';

export interface SyncArgs {
  /** A local directory. */
  src: string;
  /** The directory on the host mirrored from it. */
  dest: string;
  /** Remove files on the host that are not in the source. */
  delete?: boolean;
  /** Glob patterns (relative to src) left out, and left alone on the host. */
  exclude?: string[];
  owner?: string;
  group?: string;
  mode?: number | string;
}

/** STUB: replaced by the real operation. */
export const syncOp: OpSpec<SyncArgs> = {
  kind: 'sync',
  keys: { src: 'string', dest: 'string', delete: 'boolean', exclude: 'string[]', owner: 'string', group: 'string', mode: 'mode' },
  describe: (a) => `sync ${a.src} → ${a.dest}`,
  validate: () => [],
  probe: () => undefined,
  diff: () => ({ changes: [], noop: 'not implemented yet' }),
  apply: () => [],
};
