/** unarchive: STUB (being implemented). */
import type { OpSpec } from './types.js';

export interface UnarchiveArgs {
  /** The archive: a local file (uploaded), or with `remote: true` a path on the host. tar (gz/xz/zst) or zip. */
  src: string;
  /** Directory it is extracted into (created when missing). */
  dest: string;
  /** A path on the host whose existence means "already extracted". */
  creates?: string;
  remote?: boolean;
  /** Leading path components removed from every entry (tar's --strip-components). */
  stripComponents?: number;
  owner?: string;
  group?: string;
}

/** STUB: replaced by the real operation. */
export const unarchiveOp: OpSpec<UnarchiveArgs> = {
  kind: 'unarchive',
  keys: { src: 'string', dest: 'string', creates: 'string', remote: 'boolean', stripComponents: 'number', owner: 'string', group: 'string' },
  describe: (a) => `unarchive ${a.src} → ${a.dest}`,
  validate: () => [],
  probe: () => undefined,
  diff: () => ({ changes: [], noop: 'not implemented yet' }),
  apply: () => [],
};
