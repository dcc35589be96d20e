/** sysctl: STUB (being implemented). */
import type { OpSpec } from './types.js';

export interface SysctlArgs {
  /** A kernel parameter: `net.ipv4.ip_forward`. */
  key: string;
  value: string;
  /** Also written to `/etc/sysctl.d/` so it holds after a reboot (default true). */
  persist?: boolean;
}

/** STUB: replaced by the real operation. */
export const sysctlOp: OpSpec<SysctlArgs> = {
  kind: 'sysctl',
  keys: { key: 'string', value: 'string', persist: 'boolean' },
  describe: (a) => `sysctl ${a.key}=${a.value}`,
  validate: () => [],
  probe: () => undefined,
  diff: () => ({ changes: [], noop: 'not implemented yet' }),
  apply: () => [],
};
