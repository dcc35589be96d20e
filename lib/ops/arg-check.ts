/**
 * The checks every op gets from its declared keys, before its own `validate`: unknown keys
 * (with the closest valid one), values of the wrong type, and strings no shell can carry (a
 * NUL byte, more than a command line holds). tsx does not type-check, so these are what stand
 * between a typo and a silently ignored option, or a run that dies at the transport.
 */
import { didYouMean } from '../did-you-mean.js';
import { isSecret } from '../secret.js';
import { quote } from '../transport/quote.js';
import type { ArgType, OpSpec } from './types.js';

/** Options every operation takes; `Target.add` keeps them apart from the op's args. */
export const COMMON_OPTIONS = ['notify', 'supersedes', 'when', 'become', 'name', 'tags', 'retries', 'delay', 'until'] as const;

const isPlainObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !isSecret(v);
const isStrings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');

const CHECKS: Record<ArgType, { ok: (v: unknown) => boolean; want: string }> = {
  'string': { ok: (v) => typeof v === 'string', want: 'a string' },
  'boolean': { ok: (v) => typeof v === 'boolean', want: 'true or false' },
  'number': { ok: (v) => typeof v === 'number' && Number.isFinite(v), want: 'a number' },
  'string[]': { ok: isStrings, want: 'a list of strings' },
  'string | string[]': { ok: (v) => typeof v === 'string' || isStrings(v), want: 'a string or a list of strings' },
  'number | number[]': {
    ok: (v) => (typeof v === 'number' && Number.isFinite(v)) || (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x))),
    want: 'a number or a list of numbers',
  },
  'mode': { ok: (v) => typeof v === 'number' || typeof v === 'string', want: "a mode: an octal number like 0o644 or a string like '0644'" },
  'content': { ok: (v) => typeof v === 'string' || Buffer.isBuffer(v) || isSecret(v), want: 'a string, a Buffer or a secret()' },
  'object': { ok: isPlainObject, want: 'an object' },
  'template': {
    ok: (v) => typeof v === 'string' || (isPlainObject(v) && typeof (v as { inline?: unknown }).inline === 'string'),
    want: "a template file or { inline: 'text' }",
  },
  'text': { ok: (v) => typeof v === 'string', want: 'a string' },
  'vars': { ok: isPlainObject, want: 'an object' },
};

/**
 * How much of one command line an op's arguments may take, quoted for the shell. Linux
 * refuses a single argument over 128 KiB (`sh -c <script>`, here and on the host's sshd), and
 * the wrapping (sudo, temp files, checks) needs some room.
 */
export const COMMAND_LINE_LIMIT = 100 * 1024;

/**
 * The strings of an argument that reach a shell or a path (so never content), each with
 * where it sits: `argv[2]`, `env.PATH`. Content is uploaded and template variables are
 * rendered into a file: they may hold anything.
 */
function shellStrings(type: ArgType, key: string, v: unknown): { at: string; value: string }[] {
  if (type === 'content' || type === 'text' || type === 'vars') return [];
  if (typeof v === 'string') return [{ at: key, value: v }];
  if (type === 'template') return [];
  const out: { at: string; value: string }[] = [];
  const seen = new Set<unknown>();
  const walk = (x: unknown, at: string) => {
    if (typeof x === 'string') { out.push({ at, value: x }); return; }
    if (x === null || typeof x !== 'object' || Buffer.isBuffer(x) || isSecret(x) || seen.has(x)) return;
    seen.add(x);
    if (Array.isArray(x)) x.forEach((y, i) => walk(y, `${at}[${i}]`));
    else for (const [k, y] of Object.entries(x)) { out.push({ at: `${at} key`, value: k }); walk(y, `${at}.${k}`); }
  };
  walk(v, key);
  return out;
}

const kb = (n: number) => `${Math.ceil(n / 1024)} KB`;

/**
 * What no shell can carry: a NUL byte anywhere in a string that reaches one (or a path), and
 * more than {@link COMMAND_LINE_LIMIT} of the op's arguments on a command line. Found when the
 * plan is built, so the transport never sees them (spawn E2BIG, a host wrongly unreachable).
 */
function shellProblems(keys: Record<string, ArgType>, args: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const sizes: [string, number][] = [];
  for (const [k, v] of Object.entries(args)) {
    const type = Object.hasOwn(keys, k) ? keys[k] : undefined;
    if (type === undefined || v === undefined || !CHECKS[type].ok(v)) continue;
    let size = 0;
    for (const { at, value } of shellStrings(type, k, v)) {
      if (value.includes('\0')) problems.push(`${at} ${showValue(value)} contains a NUL byte, which no command line or path can hold`);
      else size += Buffer.byteLength(quote(value)) + 1;
    }
    if (size > 0) sizes.push([k, size]);
  }
  const total = sizes.reduce((n, [, size]) => n + size, 0);
  if (total > COMMAND_LINE_LIMIT) {
    const fix = 'put large content in a file on the host (copy, or file with content) and refer to it';
    const big = sizes.filter(([, size]) => size > COMMAND_LINE_LIMIT);
    if (big.length) for (const [k, size] of big) problems.push(`${k} is ${kb(size)} on a command line, more than the ${kb(COMMAND_LINE_LIMIT)} one can take: ${fix}`);
    else problems.push(`${sizes.map(([k]) => k).join(', ')} together are ${kb(total)} on a command line, more than the ${kb(COMMAND_LINE_LIMIT)} one can take: ${fix}`);
  }
  return problems;
}

/**
 * A value as a problem sentence shows it: JSON, cut short; never a secret's content.
 *
 * @example
 * showValue({ a: 1 })   // '{"a":1}'
 */
export function showValue(v: unknown): string {
  if (typeof v === 'function') return 'a function';
  if (Buffer.isBuffer(v)) return `a Buffer of ${v.length} bytes`;
  let s: string | undefined;
  try { s = JSON.stringify(v); } catch { s = undefined; }
  if (s === undefined) s = typeof v === 'symbol' ? v.toString() : Object.prototype.toString.call(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

export interface ArgProblems {
  /** Keys the op does not take, each with the closest valid key when there is one. */
  unknown: string[];
  /**
   * Values that cannot be used as given, naming the key: the wrong type, a NUL byte, or too
   * large for a command line. The op's own validate assumes these are fine.
   */
  types: string[];
}

/**
 * Checks args against the op's declared keys.
 *
 * @example
 * argProblems(fileOp, { path: '/etc/motd', contents: 'x' }).unknown   // ['unknown option contents (did you mean content?)']
 */
export function argProblems(op: Pick<OpSpec<unknown>, 'kind' | 'keys'>, args: unknown): ArgProblems {
  const out: ArgProblems = { unknown: [], types: [] };
  if (!isPlainObject(args)) {
    out.types.push(`the options of ${op.kind} must be an object, got ${showValue(args)}`);
    return out;
  }
  const keys = op.keys as Record<string, ArgType>;
  const known = Object.keys(keys);
  for (const [k, v] of Object.entries(args as Record<string, unknown>)) {
    const type = Object.hasOwn(keys, k) ? keys[k] : undefined;
    if (type === undefined) {
      out.unknown.push(`unknown option ${k}${didYouMean(k, [...known, ...COMMON_OPTIONS]) ||
        ` (${op.kind} takes ${[...known, ...COMMON_OPTIONS].join(', ')})`}`);
    } else if (v !== undefined && !CHECKS[type].ok(v)) {
      out.types.push(`${k} ${showValue(v)} must be ${CHECKS[type].want}`);
    }
  }
  out.types.push(...shellProblems(keys, args as Record<string, unknown>));
  return out;
}

/**
 * Type problems of the options every op takes (notify, supersedes, when, become, name, retries, delay, until).
 *
 * @example
 * optionProblems({ notify: 5 })   // ['notify 5 must be a handler name or a list of them']
 */
export function optionProblems(o: { notify?: unknown; supersedes?: unknown; when?: unknown; become?: unknown; name?: unknown; retries?: unknown; delay?: unknown; until?: unknown }): string[] {
  const problems: string[] = [];
  if (o.notify !== undefined && !CHECKS['string | string[]'].ok(o.notify)) problems.push(`notify ${showValue(o.notify)} must be a handler name or a list of them`);
  if (o.supersedes !== undefined && !CHECKS['string | string[]'].ok(o.supersedes)) problems.push(`supersedes ${showValue(o.supersedes)} must be a handler name or a list of them`);
  if (o.when !== undefined && typeof o.when !== 'function') problems.push('when must be a function (facts) => boolean');
  if (o.become !== undefined && !(typeof o.become === 'boolean' || typeof o.become === 'string' || isPlainObject(o.become))) {
    problems.push(`become ${showValue(o.become)} must be true, a user name, or { user, password }`);
  }
  // The user goes on sudo's command line.
  const user = typeof o.become === 'string' ? o.become : isPlainObject(o.become) ? (o.become as { user?: unknown }).user : undefined;
  if (typeof user === 'string' && (/[\0-\x1f\x7f]/.test(user) || user.length > 256)) problems.push(`become user ${showValue(user)} must be a user name: one line, no control characters or NUL`);
  if (o.name !== undefined && typeof o.name !== 'string') problems.push(`name ${showValue(o.name)} must be a string`);
  if (o.retries !== undefined && !(typeof o.retries === 'number' && Number.isInteger(o.retries) && o.retries >= 0)) {
    problems.push(`retries ${showValue(o.retries)} must be a whole number of retries, 0 or more`);
  }
  if (o.delay !== undefined && !(typeof o.delay === 'number' && Number.isFinite(o.delay) && o.delay >= 0)) {
    problems.push(`delay ${showValue(o.delay)} must be a number of seconds, 0 or more`);
  }
  if (o.until !== undefined && typeof o.until !== 'function') problems.push(`until ${showValue(o.until)} must be a function (result) => boolean`);
  return problems;
}
