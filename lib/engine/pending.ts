/**
 * Handler notifications that must survive a failed or interrupted run: recorded on the host
 * before the change that queued them is applied, removed once the handler has succeeded, and
 * read back by the next run's batched probe, which runs them even when nothing else changed.
 * Without this a failed run loses its handlers and the host silently drifts (a config
 * changed, the service never restarted).
 */
import { quote } from '../transport/quote.js';

/** The file, in the state folder, listing pending handler names, one a line. */
export const PENDING_FILE = 'pending-handlers';

/**
 * Shell that sets `f` to the pending file: in `stateDir` when given, else
 * /var/lib/shipshape for root and `$XDG_STATE_HOME/shipshape` (~/.local/state) for others.
 *
 * @example
 * pendingPathScript()   // 'if [ "$(id -u)" -eq 0 ]; then d=/var/lib/shipshape; else ...'
 */
export function pendingPathScript(stateDir?: string): string {
  const d = stateDir !== undefined
    ? `d=${quote(stateDir)}`
    : 'if [ "$(id -u)" -eq 0 ]; then d=/var/lib/shipshape; else d="${XDG_STATE_HOME:-$HOME/.local/state}/shipshape"; fi';
  return `${d}; f="$d/${PENDING_FILE}"`;
}

/**
 * Probe printing the pending names (nothing when there are none); read-only.
 *
 * @example
 * parsePending((await t.exec(readPendingScript())).stdout)   // ['restart app']
 */
export function readPendingScript(stateDir?: string): string {
  return `${pendingPathScript(stateDir)}; if [ -f "$f" ]; then cat -- "$f"; fi`;
}

/** The names a {@link readPendingScript} printed. */
export function parsePending(stdout: string): string[] {
  return [...new Set(stdout.split('\n').filter((l) => l.trim() !== ''))];
}

/**
 * Adds names to the pending file: the whole list is rewritten to a temp file and renamed
 * over it, so a crash leaves the old list or the new one, never a torn line.
 *
 * @example
 * await t.exec(recordPendingScript(['restart app']), { become: true })
 */
export function recordPendingScript(names: string[], stateDir?: string): string {
  return `${pendingPathScript(stateDir)}; umask 077; mkdir -p -- "$d" && ` +
    `{ if [ -f "$f" ]; then cat -- "$f"; fi; printf '%s\\n' ${names.map(quote).join(' ')}; } | sort -u > "$f.tmp.$$" && mv -f -- "$f.tmp.$$" "$f"`;
}

/**
 * Removes names from the pending file (the file goes when it is empty).
 *
 * @example
 * await t.exec(clearPendingScript(['restart app']), { become: true })
 */
export function clearPendingScript(names: string[], stateDir?: string): string {
  const patterns = names.map((n) => `-e ${quote(n)}`).join(' ');
  return `${pendingPathScript(stateDir)}; [ -f "$f" ] || exit 0; umask 077; grep -vxF ${patterns} -- "$f" > "$f.tmp.$$"; ` +
    `if [ -s "$f.tmp.$$" ]; then mv -f -- "$f.tmp.$$" "$f"; else rm -f -- "$f.tmp.$$" "$f"; fi`;
}
