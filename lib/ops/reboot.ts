/** reboot: the host restarts, and the run goes on once it answers over SSH again. */
import { randomBytes } from 'node:crypto';
import { quote } from '../transport/quote.js';
import type { Action, OpSpec } from './types.js';

export interface RebootArgs {
  /** Seconds to wait for the host to answer again after the reboot was started (default 600, as Ansible's reboot_timeout). */
  timeout?: number;
}

const DEFAULT_TIMEOUT = 600;

/**
 * The reboot command, detached so the SSH channel closes cleanly before the host goes down:
 * a transient systemd timer when systemd runs (outside the SSH session, so stopping sshd does
 * not cancel it), else `shutdown -r now` after a second in the background.
 *
 * @example
 * rebootScript('/run/shipshape-reboot.ab12')   // 'marker=/run/...; ... systemd-run --on-active=1 ...'
 */
export function rebootScript(marker: string): string {
  return [
    // the marker lives on /run, a tmpfs: it is gone once the host has booted again
    `: > ${quote(marker)}`,
    'if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1; then',
    `  systemd-run --quiet --no-block --on-active=1 --timer-property=AccuracySec=100ms /bin/systemctl reboot`,
    'else',
    `  nohup sh -c 'sleep 1; shutdown -r now 2>/dev/null || reboot' >/dev/null 2>&1 </dev/null &`,
    'fi',
  ].join('\n');
}

/**
 * Reboots the host and waits until it answers over SSH again, as Ansible's reboot module:
 * changed on every run (meant for a handler or a `when`). The return is proven by a marker
 * file on /run that the boot removes (a shared-kernel container keeps its boot_id). Later
 * tasks use the new connection and probe again.
 *
 * @example
 * host('web-01').reboot({ timeout: 300 })
 */
export const rebootOp: OpSpec<RebootArgs> = {
  kind: 'reboot',
  keys: { timeout: 'number' },
  describe: () => 'reboot',

  validate(a) {
    const problems: string[] = [];
    if (a.timeout !== undefined && (!Number.isFinite(a.timeout) || a.timeout <= 0 || a.timeout > 86_400)) {
      problems.push(`timeout ${JSON.stringify(a.timeout)} must be a number of seconds above 0 (at most 86400), like 300`);
    }
    return problems;
  },

  probe: () => undefined,

  diff: () => ({ changes: [{ what: 'state', before: 'running', after: 'rebooted' }], data: `/run/shipshape-reboot.${randomBytes(6).toString('hex')}` }),

  apply(a, diff): Action[] {
    const marker = diff.data as string;
    return [
      { kind: 'exec', command: rebootScript(marker), failure: 'could not start the reboot' },
      { kind: 'reconnect', timeoutMs: (a.timeout ?? DEFAULT_TIMEOUT) * 1000, rebooted: `[ ! -e ${quote(marker)} ]` },
    ];
  },
};
