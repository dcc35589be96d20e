// What every subcommand of the shipshape command line is made of.
import { ShipshapeError } from '../lib/errors.js';
import { ACCEPT, FORKS, HELP, LIMIT, type Flag, type ParsedFlags } from '../lib/flags.js';

export { ACCEPT, FORKS, LIMIT };

/**
 * A subcommand: its flags and help, and a `prepare` step that validates everything (its
 * errors exit 4, before anything is contacted) and returns the action that does the work.
 */
export interface Command {
  name: string;
  usage: string;
  /** First line: the one-line summary in `shipshape --help`; the rest only in the command's help. */
  summary: string;
  flags: Flag[];
  /** Added to the error for an unknown flag that follows an argument (exec: the command's own flags). */
  afterPositional?: string;
  /** The help of a subcommand named by the arguments (`lab up --help`); the command's own help otherwise. */
  helpFor?(positionals: string[]): Pick<Command, 'usage' | 'summary' | 'flags'> | undefined;
  /** Validates the arguments; returns the action, which resolves to the exit code. */
  prepare(args: ParsedFlags, argv: string[]): () => Promise<number>;
}

export { HELP };

/**
 * An error in how the command was called (exit 4), with the usage or the fix.
 *
 * @example
 * throw usageError('shipshape run: which deploy file?', 'shipshape run deploy.ts --check')
 */
export function usageError(summary: string, fix: string): ShipshapeError {
  return new ShipshapeError(summary, { fix });
}

export const INVENTORY: Flag = { name: 'inventory', short: 'i', value: 'FILE', help: 'an Ansible INI or YAML inventory, cluster.json, Ansible inventory JSON, or an executable inventory script' };
