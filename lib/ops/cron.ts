/** cron: STUB (being implemented). */
import type { OpSpec } from './types.js';

export interface CronArgs {
  /** Names the file `/etc/cron.d/<name>`. */
  name: string;
  /** Five fields (`0 3 * * *`) or a nickname (`@daily`, `@reboot`). */
  schedule?: string;
  command?: string;
  /** The user it runs as (default root). */
  user?: string;
  state?: 'present' | 'absent';
}

/** STUB: replaced by the real operation. */
export const cronOp: OpSpec<CronArgs> = {
  kind: 'cron',
  keys: { name: 'string', schedule: 'string', command: 'text', user: 'string', state: 'string' },
  describe: (a) => `cron ${a.name}`,
  validate: () => [],
  probe: () => undefined,
  diff: () => ({ changes: [], noop: 'not implemented yet' }),
  apply: () => [],
};
