import { createRequire } from 'node:module';
import pc from 'picocolors';
import type { Change } from '../ops/types.js';
import { escapeLine, escapeText } from './escape.js';
import { redact, redactLines } from './redact.js';

// Loaded when a diff is first shown: most runs never show one (about 20 ms of start-up).
let diffLib: typeof import('diff') | undefined;
const loadDiff = () => (diffLib ??= createRequire(import.meta.url)('diff') as typeof import('diff'));

/**
 * A unified diff of a content change, safe to print: a secret content is never shown;
 * otherwise secrets are masked in the contents before they are diffed and again in each line
 * of the diff (a secret of several lines is split over diff lines, each with its prefix), and
 * control characters are shown as escapes. Colour, when asked, comes last.
 *
 * @example
 * renderContentDiff({ what: 'content', content: { path: '/etc/motd', before: 'a\n', after: 'b\n' } })   // '--- /etc/motd ... -a +b'
 */
export function renderContentDiff(c: Change, color = false): string | undefined {
  if (!c.content) return undefined;
  const { before, after, secret } = c.content;
  const path = escapeLine(redact(c.content.path));
  if (secret) return `--- ${path}\n+++ ${path}\n(content is secret: not shown)\n`;
  if (before.includes('\0') || after.includes('\0')) return `Binary files ${path} differ\n`;
  const patch = loadDiff().createTwoFilesPatch(path, path, redactLines(before), redactLines(after), 'before', 'after', { context: 3 });
  // Drop the "Index"/"====" header.
  const lines = patch.split('\n').slice(1).map((l) => escapeText(redact(l)));
  if (!color) return lines.join('\n');
  const paint = pc.createColors(true);
  return lines.map((l) => l.startsWith('+') && !l.startsWith('+++') ? paint.green(l)
    : l.startsWith('-') && !l.startsWith('---') ? paint.red(l) : l.startsWith('@@') ? paint.cyan(l) : l).join('\n');
}

