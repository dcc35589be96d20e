/** Handlers declared more than once under one name on a host: the same handler, or a clash. */
import { isAbsolute, resolve } from 'node:path';
import { formatCallSite } from '../errors.js';
import type { HandlerDecl } from '../dsl/target.js';
import { isSecret, reveal } from '../secret.js';
import type { HandlerPlan, PlanProblem, Task } from './types.js';

/**
 * Whether two values are the same declaration: deep equality where functions compare by
 * source text (a recipe applied twice makes new closures of the same code), secrets by
 * value and Buffers by bytes.
 *
 * @example
 * sameValue({ argv: ['nginx', '-t'] }, { argv: ['nginx', '-t'] })   // true
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a === 'function' || typeof b === 'function') return typeof a === typeof b && String(a) === String(b);
  if (isSecret(a) || isSecret(b)) return isSecret(a) && isSecret(b) && reveal(a) === reveal(b);
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  if (a instanceof URL || b instanceof URL) return a instanceof URL && b instanceof URL && a.href === b.href;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** A relative local `src` means a different file when declared from a different folder. */
const localSource = (t: Task) => {
  const src = (t.args as { src?: unknown } | undefined)?.src;
  return typeof src === 'string' && !isAbsolute(src) ? resolve(t.baseDir, src) : undefined;
};

/**
 * Whether two declarations of a handler are identical: the same operations with the same
 * args and options, in the same order. Where they were declared does not matter.
 *
 * @example
 * sameHandler(plannedHandlerA, plannedHandlerB)   // true for the nginx reload declared by two nginx recipes
 */
export function sameHandler(a: HandlerPlan, b: HandlerPlan): boolean {
  return a.name === b.name && a.tasks.length === b.tasks.length && a.tasks.every((t, i) => {
    const u = b.tasks[i]!;
    return t.kind === u.kind && sameValue(t.args, u.args) && sameValue(t.options, u.options) && sameValue(t.become, u.become) &&
      localSource(t) === localSource(u);
  });
}

/**
 * The plan problem for two different handlers of one name on the same hosts, naming both
 * call sites.
 *
 * @example
 * duplicateHandlerProblem(recipeDecl, userDecl, ['web-01'])
 */
export function duplicateHandlerProblem(first: HandlerDecl, second: HandlerDecl, hosts: string[]): PlanProblem {
  const where = (d: HandlerDecl) => (d.callSite ? formatCallSite(d.callSite) : `${d.target.kind} ${d.target.name}`);
  const on = hosts.length === 1 ? `host ${hosts[0]}` : `hosts ${hosts.slice(0, 3).join(', ')}${hosts.length > 3 ? ` and ${hosts.length - 3} more` : ''}`;
  return {
    message: `handler ${JSON.stringify(second.name)} is declared twice for ${on} with different operations: ` +
      `first at ${where(first)}, again at ${where(second)} (rename one of them)`,
    host: hosts[0],
    callSite: second.callSite,
  };
}

/**
 * The handler names a task's `notify` or `supersedes` option gives, as a list.
 *
 * @example
 * handlerNames(task, 'notify')   // ['restart app']
 */
export function handlerNames(t: Pick<Task, 'options'>, option: 'notify' | 'supersedes'): string[] {
  const n = t.options[option];
  return n === undefined ? [] : Array.isArray(n) ? n : [n];
}
