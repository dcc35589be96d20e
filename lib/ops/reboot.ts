/** reboot: STUB (being implemented). */
import type { OpSpec } from './types.js';

export interface RebootArgs {
  /** Seconds to wait for the host to answer again (default 120). */
  timeout?: number;
}

/** STUB: replaced by the real operation. */
export const rebootOp: OpSpec<RebootArgs> = {
  kind: 'reboot',
  keys: { timeout: 'number' },
  describe: (a) => `reboot`,
  validate: () => [],
  probe: () => undefined,
  diff: () => ({ changes: [], noop: 'not implemented yet' }),
  apply: () => [],
};
