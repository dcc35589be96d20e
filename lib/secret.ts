const SECRET = Symbol('shipshape.secret');
const known = new Set<string>();

/** A value that no output, diff, log or report may show. Make one with {@link secret}. */
export interface Secret {
  readonly [SECRET]: string;
  toString(): string;
  toJSON(): string;
}

const MASK = '********';

/**
 * Marks a value as secret: it is used where needed but shown as `********` everywhere.
 *
 * @example
 * host('db').file('/etc/app/token', { content: secret(process.env.TOKEN!), mode: 0o600 })
 */
export function secret(value: string): Secret {
  if (value.length >= 3) known.add(value);
  return Object.freeze({ [SECRET]: value, toString: () => MASK, toJSON: () => MASK });
}

/**
 * Whether a value was made by {@link secret}.
 *
 * @example
 * isSecret(secret('x'))   // true
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
 * Replaces every known secret value in text by the mask. Used by every reporter and log.
 *
 * @example
 * secret('hunter2'); redact('password=hunter2')   // 'password=********'
 */
export function redact(text: string): string {
  let out = text;
  for (const s of known) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}
