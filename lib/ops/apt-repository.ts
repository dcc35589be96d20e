/** aptRepository: STUB (being implemented). */
import type { OpSpec } from './types.js';

export interface AptRepositoryArgs {
  /** Names the files: `/etc/apt/sources.list.d/<name>.sources` and `/etc/apt/keyrings/<name>.asc|.gpg`. */
  name: string;
  uris: string | string[];
  suites: string | string[];
  components?: string | string[];
  /** The repository's signing key (ASCII-armored or binary), written for Signed-By. */
  key?: string | Buffer;
  architectures?: string | string[];
  state?: 'present' | 'absent';
}

/** STUB: replaced by the real operation. */
export const aptRepositoryOp: OpSpec<AptRepositoryArgs> = {
  kind: 'aptRepository',
  keys: { name: 'string', uris: 'string | string[]', suites: 'string | string[]', components: 'string | string[]', key: 'content', architectures: 'string | string[]', state: 'string' },
  describe: (a) => `aptRepository ${a.name}`,
  validate: () => [],
  probe: () => undefined,
  diff: () => ({ changes: [], noop: 'not implemented yet' }),
  apply: () => [],
};
