import { argv, quote } from '../transport/quote.js';
import { isValidName, oneOfProblem, section, splitSections } from './common.js';
import type { Action, Change, OpSpec } from './types.js';

export interface GroupArgs {
  name: string;
  state?: 'present' | 'absent';
  gid?: number;
  /** Created as a system group (`groupadd -r`); only matters when it is created. */
  system?: boolean;
}

/**
 * Parses `getent group` output: `name:x:gid:members`; undefined when the group does not exist.
 *
 * @example
 * parseGroupEntry('www:x:1500:alice,bob\n')   // { gid: 1500, members: ['alice', 'bob'] }
 */
export function parseGroupEntry(text: string | undefined): { gid: number; members: string[] } | undefined {
  const line = (text ?? '').split('\n').find((l) => l.includes(':'));
  if (!line) return undefined;
  const f = line.split(':');
  return { gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) };
}

/**
 * A Unix group: created with `groupadd`, its gid changed with `groupmod`, removed with
 * `groupdel`.
 *
 * @example
 * host('web-01').group('www', { system: true })
 */
export const groupOp: OpSpec<GroupArgs> = {
  kind: 'group',
  keys: { name: 'string', state: 'string', gid: 'number', system: 'boolean' },
  describe: (a) => `group ${a.name}${a.state === 'absent' ? ' (absent)' : ''}`,

  validate(a) {
    const problems: string[] = [];
    if (typeof a.name !== 'string' || !isValidName(a.name) || /^\d+$/.test(a.name)) problems.push(`group name ${JSON.stringify(a.name)} is not a valid group name`);
    const st = oneOfProblem('state', a.state, ['present', 'absent']);
    if (st) problems.push(st);
    if (a.gid !== undefined && !(Number.isInteger(a.gid) && a.gid >= 0)) problems.push(`gid ${JSON.stringify(a.gid)} must be a whole number (0 or more)`);
    return problems;
  },

  probe: (a) => section('group', `getent group ${quote(a.name)}`),

  diff(a, probed) {
    const cur = parseGroupEntry(splitSections(probed.stdout).group);
    const changes: Change[] = [];
    if (a.state === 'absent') {
      if (cur) changes.push({ what: 'state', before: 'present', after: 'absent' });
      return { changes, noop: `group ${a.name} does not exist` };
    }
    if (!cur) changes.push({ what: 'state', before: 'absent', after: 'present' });
    else if (a.gid !== undefined && cur.gid !== a.gid) changes.push({ what: 'gid', before: String(cur.gid), after: String(a.gid) });
    return { changes, noop: `group ${a.name} exists${a.gid !== undefined ? ` with gid ${a.gid}` : ''}` };
  },

  apply(a, diff): Action[] {
    const has = (w: string) => diff.changes.some((c) => c.what === w);
    if (a.state === 'absent') return [{ kind: 'exec', command: argv(['groupdel', a.name]) }];
    if (has('state')) {
      const words = ['groupadd', ...(a.gid !== undefined ? ['-g', String(a.gid)] : []), ...(a.system ? ['-r'] : []), a.name];
      return [{ kind: 'exec', command: argv(words) }];
    }
    return has('gid') ? [{ kind: 'exec', command: argv(['groupmod', '-g', String(a.gid), a.name]) }] : [];
  },
};
