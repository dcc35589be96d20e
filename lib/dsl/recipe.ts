import { ShipshapeError } from '../errors.js';
import type { Target } from './target.js';

/** A named, typed function that adds operations to a target. Apply it with `t.use()`. */
export interface Recipe<P> {
  readonly name: string;
  apply(t: Target, params: P): void;
}

/**
 * Makes a recipe: an ordinary function of a target and typed params.
 *
 * @example
 * export const motd = recipe('motd', (t, p: { text: string }) => t.file('/etc/motd', { content: p.text }));
 * host('web-01').use(motd, { text: 'hello\n' });
 */
export function recipe<P>(name: string, fn: (t: Target, params: P) => void): Recipe<P> {
  return { name, apply: fn };
}

/**
 * Fails a recipe loudly when a required parameter has no value, saying how to fix it.
 *
 * @example
 * const appDir = required(params, 'appDir', 'the folder the app is deployed to');
 */
export function required<P, K extends keyof P>(params: P, key: K, what: string): NonNullable<P[K]> {
  const v = params?.[key];
  if (v === undefined || v === null || v === '') {
    throw new ShipshapeError(`param ${String(key)} is required: ${what}`, { fix: `pass { ${String(key)}: … } to use()` });
  }
  return v as NonNullable<P[K]>;
}
