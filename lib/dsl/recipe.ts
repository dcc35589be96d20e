import { didYouMean } from '../did-you-mean.js';
import { ShipshapeError } from '../errors.js';
import type { Target } from './target.js';

/** A named, typed function that adds operations to a target. Apply it with `t.use()`. */
export interface Recipe<P> {
  readonly name: string;
  /**
   * The param keys the recipe takes, when it declares them: `t.use()` then reports any other
   * key as a plan problem, with the closest valid one. Recipes without it take anything.
   */
  readonly params?: readonly string[];
  apply(t: Target, params: P): void;
}

/**
 * Every key of a recipe's params, each `true`: a mapped type over `keyof P`, so tsc refuses a
 * declaration that misses a param or names one the params lack.
 */
export type ParamKeys<P> = { readonly [K in keyof P]-?: true };

export interface RecipeOptions<P> {
  /** Declares the param keys, so a typo (`prot: 8080`) is a plan problem instead of ignored. */
  params?: ParamKeys<P>;
}

/**
 * Makes a recipe: an ordinary function of a target and typed params. Declaring `params`
 * makes unknown keys a plan problem at the user's `use()` line.
 *
 * @example
 * export const motd = recipe('motd', (t, p: { text: string }) => t.file('/etc/motd', { content: p.text }), { params: { text: true } });
 * host('web-01').use(motd, { text: 'hello\n' });
 */
export function recipe<P>(name: string, fn: (t: Target, params: P) => void, o: RecipeOptions<NoInfer<P>> = {}): Recipe<P> {
  return o.params ? { name, params: Object.keys(o.params), apply: fn } : { name, apply: fn };
}

/**
 * Only the params a recipe declares, for a recipe that passes its params on to another
 * (a recipe without a declaration gets them all).
 *
 * @example
 * t.use(nginxServer, paramsFor(nginxServer, params))
 */
export function paramsFor<P>(r: Recipe<P>, params: object | undefined): P {
  if (!r.params || params === undefined || params === null) return params as P;
  const keys = new Set(r.params);
  return Object.fromEntries(Object.entries(params).filter(([k]) => keys.has(k))) as P;
}

/**
 * Problems with the params given to a recipe that declares its keys: not an object, or keys
 * it does not take (each with the closest valid key). Empty for recipes without a declaration.
 *
 * @example
 * paramProblems(webapp, { prot: 8080 })   // ['unknown param prot (did you mean port?)']
 */
export function paramProblems(r: Recipe<unknown>, params: unknown): string[] {
  if (!r.params || params === undefined) return [];
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return [`params must be an object, got ${JSON.stringify(params)}`];
  return Object.keys(params).filter((k) => !r.params!.includes(k))
    .map((k) => `unknown param ${k}${didYouMean(k, r.params!) || ` (${r.name} takes ${r.params!.join(', ')})`}`);
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
