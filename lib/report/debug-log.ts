/**
 * `DEBUG=shipshape:*` output goes through redaction: every logger of the `debug` package
 * writes through this one function, so no caller has to remember to redact (or to redact
 * before it quotes). Loaded for its effect by lib/errors.ts and lib/secret.ts.
 */
import createDebug from 'debug';
import { formatWithOptions, type InspectOptions } from 'node:util';
import { escapeText } from './escape.js';
import { redact } from './redact.js';

/**
 * The debug package's line, with secrets masked (before and after formatting, so both raw
 * string arguments and inspected objects are caught) and control characters in string
 * arguments shown as escapes.
 *
 * @example
 * debugLine(['%s $ %s', 'web-01', 'echo hunter2'])   // 'web-01 $ echo ********' once hunter2 is a secret
 */
export function debugLine(args: unknown[], opts: InspectOptions = {}): string {
  const [format, ...rest] = args;
  const clean = rest.map((a) => (typeof a === 'string' ? escapeText(redact(a)) : a));
  return redact(formatWithOptions(opts, typeof format === 'string' ? redact(format) : format, ...clean));
}

const inspectOpts = (createDebug as unknown as { inspectOpts?: InspectOptions }).inspectOpts ?? {};
createDebug.log = (...args: unknown[]) => process.stderr.write(debugLine(args, inspectOpts) + '\n');
