/**
 * flushHandlers: runs the handlers queued so far, here, instead of at the end of the host
 * (Ansible's `meta: flush_handlers`). The engine does the work; this op only gives the task
 * a place in the sequence, so a health check after it sees the restarted service.
 */
import type { OpSpec } from './types.js';

export interface FlushHandlersArgs {
  /** Only these handlers (when queued); default: every queued handler. */
  handlers?: string[];
}

/**
 * @example
 * host('web-01').template('app.conf.mustache', '/etc/app.conf', { notify: 'restart app' })
 *   .flushHandlers()
 *   .waitFor({ port: 5000, path: '/' })
 */
export const flushHandlersOp: OpSpec<FlushHandlersArgs> = {
  kind: 'flushHandlers',
  keys: { handlers: 'string[]' },
  describe: (a) => (a.handlers?.length ? `run ${a.handlers.join(', ')} now, if queued` : 'run the queued handlers now'),
  validate: (a) => (a.handlers !== undefined && a.handlers.length === 0 ? ['handlers is empty: name at least one handler, or leave it out to flush them all'] : []),
  probe: () => undefined,
  diff: () => ({ changes: [], noop: 'no handler is queued' }),
  apply: () => [],
};
