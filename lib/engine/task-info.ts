import { handlerNames } from '../plan/handlers.js';
import type { Task } from '../plan/types.js';
import type { TaskInfo } from '../report/events.js';
import type { Become } from '../transport/types.js';

/**
 * What reporters are told about a task.
 *
 * @example
 * taskInfo(task)   // { id: 'web-01#3', host: 'web-01', name: 'apt nginx', op: 'apt' }
 */
export function taskInfo(t: Task): TaskInfo {
  return { id: t.id, host: t.host, name: t.name, op: t.kind, handler: t.handler, callSite: t.callSite };
}

/**
 * The handlers a task notifies, as a list.
 *
 * @example
 * notifyList(task)   // ['restart app']
 */
export function notifyList(t: Task): string[] {
  return handlerNames(t, 'notify');
}

/**
 * The handlers whose queued notifications a task's change drops (its `supersedes` option).
 *
 * @example
 * supersedesList(task)   // ['restart app']
 */
export function supersedesList(t: Task): string[] {
  return handlerNames(t, 'supersedes');
}

/**
 * Two tasks run as the same user (so one script can serve both).
 *
 * @example
 * sameBecome(true, { user: 'root' })   // false: compared as written
 */
export const sameBecome = (a: Become | undefined, b: Become | undefined) => JSON.stringify(a ?? false) === JSON.stringify(b ?? false);
