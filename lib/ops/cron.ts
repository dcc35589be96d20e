import { quote } from '../transport/quote.js';
import { isValidName, oneOfProblem, parseStat, section, splitSections, statProbe } from './common.js';
import { contentProbe, fileActions, fileChanges, parseContentProbe, type PutData } from './content.js';
import type { Action, Change, OpSpec } from './types.js';

export interface CronArgs {
  /**
   * Names the file `/etc/cron.d/<name>`: letters, digits, `_` and `-` only, since cron skips
   * files with other names (a dot, as in `backup.cron`) without a word.
   */
  name: string;
  /** Five fields (`0 3 * * *`, `*\/15 8-18 * * mon-fri`) or a nickname (`@daily`, `@reboot`). */
  schedule?: string;
  /**
   * One line, run by `/bin/sh`. cron turns an unescaped `%` into a newline, so a literal one
   * is written `\%` (`date +\%F`); a bare `%` is refused.
   */
  command?: string;
  /** The user it runs as (default root); whether the user exists is left to the host's cron. */
  user?: string;
  /** `present` (default) writes the file, `absent` removes it. */
  state?: 'present' | 'absent';
}

/** Where cron reads system crontabs (cron.d files carry a user field). */
export const CRON_DIR = '/etc/cron.d';

const NICKNAMES = ['@reboot', '@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** The five fields: name, range, and the names cron accepts for their values. */
const FIELDS: { label: string; min: number; max: number; names?: string[]; first?: number }[] = [
  { label: 'minute', min: 0, max: 59 },
  { label: 'hour', min: 0, max: 23 },
  { label: 'day of month', min: 1, max: 31 },
  { label: 'month', min: 1, max: 12, names: MONTHS, first: 1 },
  // 7 is Sunday too, as in every cron.
  { label: 'day of week', min: 0, max: 7, names: DAYS, first: 0 },
];

/** A value of a field as a number: digits, or (month, day of week) a three-letter name. */
function fieldValue(text: string, f: (typeof FIELDS)[number]): number | undefined {
  if (/^\d{1,2}$/.test(text)) {
    const n = Number(text);
    return n >= f.min && n <= f.max ? n : undefined;
  }
  const i = f.names?.indexOf(text.toLowerCase()) ?? -1;
  return i >= 0 ? i + f.first! : undefined;
}

/** Why one field is not valid (as Vixie cron parses it: a step only after `*` or a range), or undefined. */
function fieldProblem(text: string, f: (typeof FIELDS)[number]): string | undefined {
  const bad = (why: string) => `${f.label} ${JSON.stringify(text)} ${why}`;
  for (const item of text.split(',')) {
    const m = /^([^/-]+)(?:-([^/-]+))?(?:\/([^/]*))?$/.exec(item);
    if (!m) return bad(`is not a value, a range or a list (${item === '' ? 'empty list item' : JSON.stringify(item)})`);
    const [, lo, hi, step] = m;
    if (step !== undefined && !(/^\d{1,2}$/.test(step) && Number(step) >= 1 && Number(step) <= f.max)) return bad(`has step ${JSON.stringify(step)}: it must be a number from 1 to ${f.max}`);
    if (lo === '*') {
      if (hi !== undefined) return bad('has a range starting at *');
      continue;
    }
    const a = fieldValue(lo!, f);
    if (a === undefined) return bad(`has ${JSON.stringify(lo)}, which is not ${f.names ? `${f.min}-${f.max} or a name like ${f.names[1]}` : `from ${f.min} to ${f.max}`}`);
    if (hi === undefined) {
      if (step !== undefined) return bad(`has a step after a single value (${JSON.stringify(item)}): write a range like ${lo}-${f.max}/${step}`);
      continue;
    }
    const b = fieldValue(hi, f);
    if (b === undefined) return bad(`has ${JSON.stringify(hi)}, which is not ${f.names ? `${f.min}-${f.max} or a name like ${f.names[1]}` : `from ${f.min} to ${f.max}`}`);
    if (b < a) return bad(`has the range ${lo}-${hi}, which runs backwards`);
  }
  return undefined;
}

/**
 * Why a schedule is not one cron takes (five fields, or a nickname), or undefined.
 *
 * @example
 * scheduleProblem('0 3 * * *')    // undefined
 * scheduleProblem('60 * * * *')   // 'schedule "60 * * * *": minute "60" has "60", which is not from 0 to 59'
 */
export function scheduleProblem(schedule: unknown): string | undefined {
  const head = `schedule ${JSON.stringify(schedule)}`;
  if (typeof schedule !== 'string') return `${head} must be a string like '0 3 * * *' or '@daily'`;
  const s = schedule.trim();
  if (s.startsWith('@')) return NICKNAMES.includes(s.toLowerCase()) ? undefined : `${head} is not one of ${NICKNAMES.join(', ')}`;
  const fields = s.split(/[ \t]+/);
  if (fields.length !== 5 || s === '') return `${head} must have five fields (minute hour day-of-month month day-of-week), not ${s === '' ? 0 : fields.length}, or be one of ${NICKNAMES.join(', ')}`;
  for (let i = 0; i < 5; i++) {
    const p = fieldProblem(fields[i]!, FIELDS[i]!);
    if (p) return `${head}: ${p}`;
  }
  return undefined;
}

/** The schedule as written to the file: fields separated by one space. */
const scheduleText = (s: string) => s.trim().split(/[ \t]+/).join(' ');

/**
 * The content of `/etc/cron.d/<name>` for a job, as Ansible's cron with `cron_file` writes it:
 * a header naming the job, then the entry line.
 *
 * @example
 * cronFile({ name: 'backup', schedule: '0 3 * * *', command: '/usr/local/bin/backup' })
 * // '# managed by shipshape: backup\n0 3 * * * root /usr/local/bin/backup\n'
 */
export function cronFile(a: CronArgs): string {
  return `# managed by shipshape: ${a.name}\n${scheduleText(a.schedule!)} ${a.user ?? 'root'} ${a.command!.trim()}\n`;
}

const ATTRS = { owner: 'root', group: 'root', mode: 0o644 } as const;
const pathOf = (a: CronArgs) => `${CRON_DIR}/${a.name}`;

/**
 * A cron job in its own file, `/etc/cron.d/<name>` (root, 0644), which cron reads without
 * a reload; `state: 'absent'` removes the file.
 *
 * @example
 * host('web-01').cron('backup', { schedule: '0 3 * * *', command: '/usr/local/bin/backup', user: 'vagrant' })
 */
export const cronOp: OpSpec<CronArgs> = {
  kind: 'cron',
  keys: { name: 'string', schedule: 'string', command: 'text', user: 'string', state: 'string' },
  describe: (a) => `cron ${a.name}${a.state === 'absent' ? ' (absent)' : ''}`,

  validate(a) {
    const problems: string[] = [];
    if (typeof a.name !== 'string' || !/^[A-Za-z0-9_-]{1,200}$/.test(a.name)) {
      problems.push(`name ${JSON.stringify(a.name)} must be letters, digits, _ and - only: cron skips files in ${CRON_DIR} with other names (a dot, a space)`);
    }
    const st = oneOfProblem('state', a.state, ['present', 'absent']);
    if (st) problems.push(st);
    if (a.state === 'absent') return problems;
    const sp = scheduleProblem(a.schedule);
    if (sp) problems.push(sp);
    if (typeof a.command !== 'string' || a.command.trim() === '') problems.push(`command ${JSON.stringify(a.command)} must be a non-empty string`);
    else if (/[\r\n]/.test(a.command)) problems.push(`command ${JSON.stringify(a.command)} must be one line (no newline)`);
    else if (/(^|[^\\])%/.test(a.command)) problems.push(`command ${JSON.stringify(a.command)} has a bare %, which cron turns into a newline: write it \\% (date +\\%F)`);
    if (a.user !== undefined && (!isValidName(a.user) || /^\d+$/.test(a.user))) problems.push(`user ${JSON.stringify(a.user)} is not a valid user name`);
    return problems;
  },

  probe: (a) => [section('file', contentProbe(pathOf(a))), section('dir', statProbe(CRON_DIR))].join('; '),

  diff(a, probed, ctx) {
    const s = splitSections(probed.stdout);
    const path = pathOf(a);
    const state = parseContentProbe(s.file ?? 'absent\n-\n');
    if (a.state === 'absent') {
      const changes: Change[] = state.stat.type === 'absent' ? [] : [{ what: 'state', before: state.stat.type, after: 'absent' }];
      return { changes, noop: `${path} does not exist` };
    }
    const want = Buffer.from(cronFile(a));
    // fileChanges throws for a directory or other non-file at the path.
    const changes = fileChanges(path, want, state, ATTRS, ctx.host);
    const dir = parseStat((s.dir ?? '').split('\n')[0] ?? '').type;
    const data: PutData & { mkdir: boolean } = { path, content: want, state, mkdir: dir === 'absent' };
    return { changes, data, noop: `${path} holds the job` };
  },

  apply(a, diff): Action[] {
    if (a.state === 'absent') return [{ kind: 'exec', command: `rm -f -- ${quote(pathOf(a))}` }];
    const data = diff.data as PutData & { mkdir: boolean };
    // Without cron installed yet the folder may be missing: the job is there once it is.
    const mkdir: Action[] = data.mkdir ? [{ kind: 'exec', command: `mkdir -p -m 0755 -- ${CRON_DIR}` }] : [];
    // Always root's and 0644: cron skips a file that is group-writable or not root's.
    return [...mkdir, ...fileActions(data, ATTRS, diff.changes)];
  },
};
