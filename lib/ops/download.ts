/** download: STUB (being implemented). */
import type { OpSpec } from './types.js';

export interface DownloadArgs {
  /** http:// or https:// URL, fetched on the host (curl, else wget). */
  url: string;
  /** The file on the host. */
  dest: string;
  /** Expected sha256 (hex): verified before the file is renamed into place; a match skips the fetch. */
  sha256?: string;
  mode?: number | string;
  owner?: string;
  group?: string;
  /** Request headers. */
  headers?: Record<string, string>;
}

/** STUB: replaced by the real operation. */
export const downloadOp: OpSpec<DownloadArgs> = {
  kind: 'download',
  keys: { url: 'string', dest: 'string', sha256: 'string', mode: 'mode', owner: 'string', group: 'string', headers: 'object' },
  describe: (a) => `download ${a.url} → ${a.dest}`,
  validate: () => [],
  probe: () => undefined,
  diff: () => ({ changes: [], noop: 'not implemented yet' }),
  apply: () => [],
};
