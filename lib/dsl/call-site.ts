import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallSite } from '../errors.js';

// The folder holding shipshape's own code (lib/ or dist/lib/): frames inside it are skipped.
const OWN = dirname(dirname(fileURLToPath(import.meta.url)));

/**
 * The first stack frame outside shipshape's lib/: the user's line in deploy.ts, or the
 * recipe's line. Errors point there, and relative paths (src, templates) resolve from it.
 *
 * @example
 * captureCallSite()   // { file: '/home/me/infra/deploy.ts', line: 12, column: 4 }
 */
export function captureCallSite(): CallSite | undefined {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  Error.captureStackTrace(holder, captureCallSite);
  Error.stackTraceLimit = limit;
  for (const line of (holder.stack ?? '').split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!m) continue;
    const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    if (file.startsWith(OWN + '/') || file.startsWith('node:')) continue;
    return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}
