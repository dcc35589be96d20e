/** How a change is named on a task's status line. */
import type { Change } from '../ops/types.js';

// Attributes whose old and new values are short and tell what happened.
const SHOWN = new Set(['mode', 'owner', 'group']);

/**
 * A change as the status line names it: `mode 0644 → 0600` for mode, owner and group (their
 * values are short and say what happened), the bare name for the rest (`content`, with
 * `--diff` for the lines).
 *
 * @example
 * changeText({ what: 'mode', before: '0644', after: '0600' })   // 'mode 0644 → 0600'
 * changeText({ what: 'content', before: 'sha256:…', after: 'sha256:…' })   // 'content'
 */
export function changeText(c: Change): string {
  if (!SHOWN.has(c.what) || c.after === undefined) return c.what;
  return c.before === undefined ? `${c.what} → ${c.after}` : `${c.what} ${c.before} → ${c.after}`;
}
