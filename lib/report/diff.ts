import { createTwoFilesPatch } from 'diff';
import pc from 'picocolors';
import type { Change } from '../ops/types.js';

/**
 * A unified diff of a content change; secret contents are never shown.
 *
 * @example
 * renderContentDiff({ what: 'content', content: { path: '/etc/motd', before: 'a\n', after: 'b\n' } })   // '--- /etc/motd ... -a +b'
 */
export function renderContentDiff(c: Change, color = false): string | undefined {
  if (!c.content) return undefined;
  const { path, before, after, secret } = c.content;
  if (secret) return `--- ${path}\n+++ ${path}\n(content is secret: not shown)\n`;
  if (before.includes('\0') || after.includes('\0')) return `Binary files ${path} differ\n`;
  const patch = createTwoFilesPatch(path, path, before, after, 'before', 'after', { context: 3 });
  const body = patch.split('\n').slice(1).join('\n'); // drop the "Index"/"====" header
  if (!color) return body;
  const paint = pc.createColors(true);
  return body.split('\n').map((l) => l.startsWith('+') && !l.startsWith('+++') ? paint.green(l)
    : l.startsWith('-') && !l.startsWith('---') ? paint.red(l) : l.startsWith('@@') ? paint.cyan(l) : l).join('\n');
}
