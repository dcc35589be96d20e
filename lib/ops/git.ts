/** git: STUB (being implemented). */
import type { OpSpec } from './types.js';

export interface GitArgs {
  /** The repository URL (https://, http://, ssh://, user@host:path or a path on the host). */
  repo: string;
  /** The work tree on the host. */
  dest: string;
  /** A branch, tag or commit (default: the remote's HEAD). */
  version?: string;
  /** Shallow clone of this many commits. */
  depth?: number;
  /** SSH private key on the host for ssh:// repositories. */
  keyFile?: string;
  owner?: string;
  group?: string;
}

/** STUB: replaced by the real operation. */
export const gitOp: OpSpec<GitArgs> = {
  kind: 'git',
  keys: { repo: 'string', dest: 'string', version: 'string', depth: 'number', keyFile: 'string', owner: 'string', group: 'string' },
  describe: (a) => `git ${a.repo} → ${a.dest}`,
  validate: () => [],
  probe: () => undefined,
  diff: () => ({ changes: [], noop: 'not implemented yet' }),
  apply: () => [],
};
