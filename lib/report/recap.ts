import { escapeLine } from './escape.js';
import type { HostStats } from './events.js';
import { redact } from './redact.js';

/**
 * Ansible's PLAY RECAP, one line per host; a host name is shown redacted and on one line
 * (control characters as escapes), so no name can print a line of its own. Hosts in
 * `notStarted` (a stopped rollout) say so instead of their counts.
 *
 * @example
 * recap({ 'web-01': { ok: 17, changed: 0, failed: 0, skipped: 0, unreachable: 0, aborted: 0 } })
 * // RECAP\n// web-01 : ok=17  changed=0  unreachable=0  failed=0  skipped=0
 */
export function recap(hosts: Record<string, HostStats>, notStarted: readonly string[] = []): string {
  const rows = Object.entries(hosts).map(([n, s]) => [escapeLine(redact(n)), s, notStarted.includes(n)] as const);
  const w = Math.max(4, ...rows.map(([n]) => n.length));
  const lines = ['RECAP'];
  for (const [n, s, waiting] of rows) {
    if (waiting) { lines.push(`${n.padEnd(w)} : not started (the rollout stopped)`); continue; }
    lines.push(`${n.padEnd(w)} : ok=${s.ok}  changed=${s.changed}  unreachable=${s.unreachable}  failed=${s.failed}  skipped=${s.skipped}${s.aborted ? `  aborted=${s.aborted}` : ''}`);
  }
  return lines.join('\n');
}
