import { argv, quote } from '../transport/quote.js';
import { isValidName, oneOfProblem, section, splitSections } from './common.js';
import type { Action, Change, OpSpec } from './types.js';

export interface UserArgs {
  name: string;
  state?: 'present' | 'absent';
  uid?: number;
  /** Primary group (name or gid); without it useradd makes a group named after the user. */
  group?: string;
  /** Supplementary groups, exactly (as Ansible's default `append: no`): others are removed. */
  groups?: string[];
  home?: string;
  shell?: string;
  /** Created as a system account (`useradd -r`); only matters when it is created. */
  system?: boolean;
  /** Create the home directory when the user is created (default true, as in Ansible). */
  createHome?: boolean;
}

interface Passwd { uid: number; gid: number; home: string; shell: string }

/**
 * Parses `getent passwd` output: `name:x:uid:gid:gecos:home:shell`; undefined when the user
 * does not exist.
 *
 * @example
 * parsePasswd('www:x:999:999::/var/www:/usr/sbin/nologin\n')   // { uid: 999, gid: 999, home: '/var/www', shell: '/usr/sbin/nologin' }
 */
export function parsePasswd(text: string | undefined): Passwd | undefined {
  const line = (text ?? '').split('\n').find((l) => l.split(':').length >= 7);
  if (!line) return undefined;
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5]!, shell: f[6]! };
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * A Unix user account: `useradd` when missing, `usermod` for what differs (uid, primary
 * group, supplementary groups, home, shell), `userdel` for absent (the home is kept).
 *
 * @example
 * host('web-01').user('www', { system: true, shell: '/usr/sbin/nologin', createHome: false })
 */
export const userOp: OpSpec<UserArgs> = {
  kind: 'user',
  keys: {
    name: 'string', state: 'string', uid: 'number', group: 'string', groups: 'string[]', home: 'string', shell: 'string',
    system: 'boolean', createHome: 'boolean',
  },
  describe: (a) => `user ${a.name}${a.state === 'absent' ? ' (absent)' : ''}`,

  validate(a) {
    const problems: string[] = [];
    if (typeof a.name !== 'string' || !isValidName(a.name) || /^\d+$/.test(a.name)) problems.push(`user name ${JSON.stringify(a.name)} is not a valid user name`);
    const st = oneOfProblem('state', a.state, ['present', 'absent']);
    if (st) problems.push(st);
    if (a.uid !== undefined && !(Number.isInteger(a.uid) && a.uid >= 0)) problems.push(`uid ${JSON.stringify(a.uid)} must be a whole number (0 or more)`);
    if (a.group !== undefined && !isValidName(a.group)) problems.push(`group ${JSON.stringify(a.group)} is not a valid group name`);
    if (a.groups !== undefined) {
      if (!Array.isArray(a.groups)) problems.push(`groups ${JSON.stringify(a.groups)} must be a list of group names`);
      else for (const g of a.groups) if (!isValidName(g) || /^\d+$/.test(g)) problems.push(`group ${JSON.stringify(g)} in groups is not a valid group name`);
    }
    for (const [label, p] of [['home', a.home], ['shell', a.shell]] as const) {
      if (p !== undefined && (typeof p !== 'string' || !p.startsWith('/') || p.includes(':'))) problems.push(`${label} ${JSON.stringify(p)} must be an absolute path without ':'`);
    }
    return problems;
  },

  probe(a) {
    const n = quote(a.name);
    return [section('passwd', `getent passwd ${n}`), section('primary', `id -gn ${n} 2>/dev/null`), section('groups', `id -Gn ${n} 2>/dev/null`)].join('; ');
  },

  diff(a, probed) {
    const s = splitSections(probed.stdout);
    const cur = parsePasswd(s.passwd);
    const changes: Change[] = [];
    if (a.state === 'absent') {
      if (cur) changes.push({ what: 'state', before: 'present', after: 'absent' });
      return { changes, noop: `user ${a.name} does not exist` };
    }
    if (!cur) {
      changes.push({ what: 'state', before: 'absent', after: 'present' });
      return { changes };
    }
    const primary = (s.primary ?? '').trim();
    const supplementary = (s.groups ?? '').trim().split(/\s+/).filter((g) => g && g !== primary);
    if (a.uid !== undefined && cur.uid !== a.uid) changes.push({ what: 'uid', before: String(cur.uid), after: String(a.uid) });
    if (a.group !== undefined && (/^\d+$/.test(a.group) ? cur.gid !== Number(a.group) : primary !== a.group)) {
      changes.push({ what: 'group', before: primary || String(cur.gid), after: a.group });
    }
    if (a.groups !== undefined && !sameSet(supplementary, a.groups)) {
      changes.push({ what: 'groups', before: supplementary.join(',') || '(none)', after: a.groups.join(',') || '(none)' });
    }
    if (a.home !== undefined && cur.home !== a.home) changes.push({ what: 'home', before: cur.home, after: a.home });
    if (a.shell !== undefined && cur.shell !== a.shell) changes.push({ what: 'shell', before: cur.shell, after: a.shell });
    return { changes, noop: `user ${a.name} exists as wanted (uid ${cur.uid})` };
  },

  apply(a, diff): Action[] {
    const has = (w: string) => diff.changes.some((c) => c.what === w);
    if (a.state === 'absent') return [{ kind: 'exec', command: argv(['userdel', a.name]) }];
    const opts = (all: boolean) => [
      ...(a.uid !== undefined && (all || has('uid')) ? ['-u', String(a.uid)] : []),
      ...(a.group !== undefined && (all || has('group')) ? ['-g', a.group] : []),
      ...(a.groups !== undefined && (all ? a.groups.length > 0 : has('groups')) ? ['-G', a.groups.join(',')] : []),
      ...(a.home !== undefined && (all || has('home')) ? ['-d', a.home] : []),
      ...(a.shell !== undefined && (all || has('shell')) ? ['-s', a.shell] : []),
    ];
    if (has('state')) {
      const words = ['useradd', ...opts(true), ...(a.system ? ['-r'] : []), a.createHome === false ? '-M' : '-m', a.name];
      return [{ kind: 'exec', command: argv(words) }];
    }
    const o = opts(false);
    return o.length ? [{ kind: 'exec', command: argv(['usermod', ...o, a.name]) }] : [];
  },
};
