import { argv } from '../transport/quote.js';
import { GUARD_KEYS, guardedOp, type Guards } from './guarded-command.js';

export interface CommandArgs extends Guards {
  /** The program and its arguments; each word is quoted, so no shell syntax applies. */
  argv: string[];
}

/**
 * A command given as an argv array. Guards as for `shell`; without them it runs every time.
 *
 * @example
 * host('web-01').command(['supervisorctl', 'restart', 'app'])
 */
export const commandOp = guardedOp<CommandArgs>({
  kind: 'command',
  keys: { ...GUARD_KEYS, argv: 'string[]' },
  body: (a) => argv(a.argv),
  shown: (a) => Array.isArray(a.argv) ? argv(a.argv) : String(a.argv),
  validateBody: (a) => Array.isArray(a.argv) && a.argv.length > 0 && a.argv.every((w) => typeof w === 'string') && a.argv[0] !== ''
    ? [] : [`argv ${JSON.stringify(a.argv)} must be a non-empty array of strings (the program first)`],
});
