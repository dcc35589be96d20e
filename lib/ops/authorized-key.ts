/** authorizedKey: STUB (being implemented). */
import type { OpSpec } from './types.js';

export interface AuthorizedKeyArgs {
  /** Whose `~/.ssh/authorized_keys`. */
  user: string;
  /** One public key line: `ssh-ed25519 AAAA... comment`. */
  key: string;
  state?: 'present' | 'absent';
}

/** STUB: replaced by the real operation. */
export const authorizedKeyOp: OpSpec<AuthorizedKeyArgs> = {
  kind: 'authorizedKey',
  keys: { user: 'string', key: 'string', state: 'string' },
  describe: (a) => `authorizedKey ${a.user}`,
  validate: () => [],
  probe: () => undefined,
  diff: () => ({ changes: [], noop: 'not implemented yet' }),
  apply: () => [],
};
