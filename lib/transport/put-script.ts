import { quote } from './quote.js';
import type { PutOptions } from './types.js';

/**
 * A shell script that reads a file's content from stdin and puts it at `path` atomically:
 * a temp file in the same folder, mode and owner set on it, then renamed over the target.
 * Used by every transport that uploads through a command (local, ssh under become).
 *
 * @example
 * await t.exec(putScript('/etc/motd', { mode: 0o644, owner: 'root' }), { stdin: 'hello\n', become: true })
 */
export function putScript(path: string, opts: PutOptions = {}): string {
  const dir = path.replace(/\/[^/]*$/, '') || '/';
  const base = path.slice(dir.length).replace(/^\//, '');
  const steps = [
    `tmp=$(mktemp ${quote(`${dir}/.${base}.shipshape.XXXXXX`)}) || exit 1`,
    `trap 'rm -f "$tmp"' EXIT`,
    'cat > "$tmp"',
    `chmod ${(opts.mode ?? 0o644).toString(8).padStart(4, '0')} "$tmp"`,
  ];
  if (opts.owner || opts.group) steps.push(`chown ${quote(`${opts.owner ?? ''}${opts.group ? ':' + opts.group : ''}`)} "$tmp"`);
  steps.push(`mv -f "$tmp" ${quote(path)}`, 'trap - EXIT');
  return steps.join(' && \\\n');
}
