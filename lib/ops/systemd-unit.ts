/** systemdUnit: STUB (being implemented). */
import type { OpSpec } from './types.js';

export interface SystemdUnitArgs {
  /** The unit file's name: `webapp.service`, `backup.timer`, or a drop-in `nginx.service.d/override.conf`. */
  name: string;
  /** The unit file's text (give one of content, src, template). */
  content?: string;
  /** A local file copied as the unit. */
  src?: string;
  /** A mustache template rendered with `vars`. */
  template?: string | { inline: string };
  vars?: Record<string, unknown>;
  /** Started at boot (`systemctl enable`). */
  enabled?: boolean;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
}

/** STUB: replaced by the real operation. */
export const systemdUnitOp: OpSpec<SystemdUnitArgs> = {
  kind: 'systemdUnit',
  keys: { name: 'string', content: 'content', src: 'string', template: 'template', vars: 'vars', enabled: 'boolean', state: 'string' },
  describe: (a) => `systemdUnit ${a.name}`,
  validate: () => [],
  probe: () => undefined,
  diff: () => ({ changes: [], noop: 'not implemented yet' }),
  apply: () => [],
};
