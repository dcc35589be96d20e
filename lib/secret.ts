import { ShipshapeError } from './errors.js';
import './report/debug-log.js';
import { MASK, MIN_SECRET_LENGTH, registerSecret } from './report/redact.js';

export { redact, redactDeep, registerSecret } from './report/redact.js';

const SECRET = Symbol('shipshape.secret');

/** A value that no output, diff, log or report may show. Make one with {@link secret}. */
export interface Secret {
  readonly [SECRET]: string;
  toString(): string;
  toJSON(): string;
}

/**
 * Marks a value as secret: it is used where needed but shown as `********` everywhere (the
 * whole value, and each line of a value of several lines). A value of fewer than 3
 * characters (not counting white space) is refused: masking it would mask those characters
 * wherever they appear, and so show what it is.
 *
 * @example
 * host('db').file('/etc/app/token', { content: secret(process.env.TOKEN!), mode: 0o600 })
 */
export function secret(value: string): Secret {
  if (typeof value !== 'string') {
    throw new ShipshapeError(`secret() takes a string, not ${value === null ? 'null' : typeof value}`, { fix: 'pass the value as a string: secret(String(value))' });
  }
  if (value.trim().length < MIN_SECRET_LENGTH) {
    throw new ShipshapeError(`secret() refuses a value shorter than ${MIN_SECRET_LENGTH} characters (not counting white space): ` +
      'it could not be masked without masking the same characters everywhere else, which would give it away', { fix: 'use a longer secret' });
  }
  registerSecret(value);
  return Object.freeze({ [SECRET]: value, toString: () => MASK, toJSON: () => MASK });
}

/**
 * Whether a value was made by {@link secret}.
 *
 * @example
 * isSecret(secret('xyz'))   // true
 */
export function isSecret(v: unknown): v is Secret {
  return typeof v === 'object' && v !== null && SECRET in v;
}

/**
 * The real value of a string or a secret.
 *
 * @example
 * reveal(secret('hunter2'))   // 'hunter2'
 */
export function reveal(v: string | Secret): string {
  return isSecret(v) ? v[SECRET] : v;
}

/**
 * Whether a value holds a secret anywhere (in a list, an object, a nested one), or is an op's
 * args marked `secret: true`: what is read back from the host for it (a probe's output, which
 * may carry the file's content as base64 or its checksum) is not shown.
 *
 * @example
 * holdsSecret({ vars: { password: secret('hunter2') } })   // true
 */
export function holdsSecret(v: unknown, seen = new Set<unknown>()): boolean {
  if (isSecret(v)) return true;
  if (typeof v !== 'object' || v === null || Buffer.isBuffer(v) || seen.has(v)) return false;
  seen.add(v);
  if ((v as { secret?: unknown }).secret === true) return true;
  return (Array.isArray(v) ? v : Object.values(v)).some((x) => holdsSecret(x, seen));
}

/** Larger contents are not registered: every output would be searched for each of their lines. */
const CONTENT_LIMIT = 1024 * 1024;

/**
 * Registers the content of a file marked secret (`copy`, `file` or `template` with
 * `secret: true`), so that it is masked wherever it shows up later, say in the diff of a
 * `line` task on the same file. Binary content and content over 1 MiB are not registered:
 * their diffs are never shown.
 *
 * @example
 * if (a.secret) registerSecretContent(content)
 */
export function registerSecretContent(data: Buffer | string): void {
  if (data.length > CONTENT_LIMIT) return;
  const text = typeof data === 'string' ? data : data.toString('utf8');
  if (text.includes('\0') || (Buffer.isBuffer(data) && !Buffer.from(text, 'utf8').equals(data))) return;
  registerSecret(text);
}
