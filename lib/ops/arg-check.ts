/**
 * The checks every op gets from its declared keys, before its own `validate`: unknown keys
 * (with the closest valid one) and values of the wrong type. tsx does not type-check, so
 * these are what stand between a typo and a silently ignored option.
 */
import { didYouMean } from '../did-you-mean.js';
import { isSecret } from '../secret.js';
import type { ArgType, OpSpec } from './types.js';

/** Options every operation takes; `Target.add` keeps them apart from the op's args. */
export const COMMON_OPTIONS = ['notify', 'when', 'become', 'name'] as const;

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
};

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
  /** Values of the wrong type, naming the key. The op's own validate assumes these are fine. */
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
  return out;
}

/**
 * Type problems of the options every op takes (notify, when, become, name).
 *
 * @example
 * optionProblems({ notify: 5 })   // ['notify 5 must be a handler name or a list of them']
 */
export function optionProblems(o: { notify?: unknown; when?: unknown; become?: unknown; name?: unknown }): string[] {
  const problems: string[] = [];
  if (o.notify !== undefined && !CHECKS['string | string[]'].ok(o.notify)) problems.push(`notify ${showValue(o.notify)} must be a handler name or a list of them`);
  if (o.when !== undefined && typeof o.when !== 'function') problems.push('when must be a function (facts) => boolean');
  if (o.become !== undefined && !(typeof o.become === 'boolean' || typeof o.become === 'string' || isPlainObject(o.become))) {
    problems.push(`become ${showValue(o.become)} must be true, a user name, or { user, password }`);
  }
  if (o.name !== undefined && typeof o.name !== 'string') problems.push(`name ${showValue(o.name)} must be a string`);
  return problems;
}
