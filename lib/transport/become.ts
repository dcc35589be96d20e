import { reveal } from '../secret.js';
import { quote } from './quote.js';
import type { Become } from './types.js';

export interface ResolvedBecome {
  user: string;
  password?: string;
}

/**
 * Normalizes the `become` option's shorthands (`true`, a user name, an object) into one
 * shape, revealing a secret password only here, where it is about to be used.
 *
 * @example
 * resolveBecome('postgres')   // { user: 'postgres' }
 */
export function resolveBecome(b: Become | undefined): ResolvedBecome | undefined {
  if (b === undefined || b === false) return undefined;
  if (b === true) return { user: 'root' };
  if (typeof b === 'string') return { user: b };
  return { user: b.user ?? 'root', password: b.password === undefined ? undefined : reveal(b.password) };
}

/**
 * Wraps a shell command to run as another user with sudo. Without a password `sudo -n`
 * (never prompts); with one, `sudo -S` reads it from the first line of stdin, which the
 * transport prepends: the password never appears on a command line or in a log.
 *
 * @example
 * wrapBecome('whoami', { user: 'postgres' })   // 'sudo -n -H -u postgres -- sh -c whoami'
 */
export function wrapBecome(command: string, b: ResolvedBecome | undefined): string {
  if (!b) return command;
  const flags = b.password === undefined ? '-n' : "-S -p ''";
  return `sudo ${flags} -H -u ${quote(b.user)} -- sh -c ${quote(command)}`;
}

/**
 * The stdin to send for a become: the password line first, then the command's own input.
 *
 * @example
 * becomeStdin({ user: 'root', password: 'pw' }, 'data')   // Buffer 'pw\ndata'
 */
export function becomeStdin(b: ResolvedBecome | undefined, stdin: string | Buffer | undefined): Buffer | undefined {
  if (!b || b.password === undefined) return stdin === undefined ? undefined : Buffer.from(stdin);
  return Buffer.concat([Buffer.from(b.password + '\n'), stdin === undefined ? Buffer.alloc(0) : Buffer.from(stdin)]);
}
