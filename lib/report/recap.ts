import type { HostStats } from './events.js';

/**
 * Ansible's PLAY RECAP, one line per host.
 *
 * @example
 * recap({ 'web-01': { ok: 17, changed: 0, failed: 0, skipped: 0, unreachable: 0 } })
 * // RECAP\n// web-01 : ok=17  changed=0  unreachable=0  failed=0  skipped=0
 */
export function recap(hosts: Record<string, HostStats>): string {
  const names = Object.keys(hosts);
  const w = Math.max(4, ...names.map((n) => n.length));
  const lines = ['RECAP'];
  for (const n of names) {
    const s = hosts[n]!;
    lines.push(`${n.padEnd(w)} : ok=${s.ok}  changed=${s.changed}  unreachable=${s.unreachable}  failed=${s.failed}  skipped=${s.skipped}${s.aborted ? `  aborted=${s.aborted}` : ''}`);
  }
  return lines.join('\n');
}
