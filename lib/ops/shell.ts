import { GUARD_KEYS, guardedOp, type Guards } from './guarded-command.js';

export interface ShellArgs extends Guards {
  /** A shell command line, run by `sh -c` on the host as written. */
  command: string;
}

/**
 * A shell command. With `creates`, `removes` or `unless` it runs only when needed; without
 * them it runs every time and check mode says "would run".
 *
 * @example
 * host('web-01').shell('python3 -m venv /opt/x/venv', { creates: '/opt/x/venv/bin/activate' })
 */
export const shellOp = guardedOp<ShellArgs>({
  kind: 'shell',
  keys: { ...GUARD_KEYS, command: 'string' },
  body: (a) => a.command,
  shown: (a) => a.command,
  validateBody: (a) => typeof a.command === 'string' && a.command.trim() !== '' ? [] : [`command ${JSON.stringify(a.command)} must be a non-empty shell command`],
});
