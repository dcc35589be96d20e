/** Owner, group and mode of a path: what differs, and the commands that fix it. */
import { quote } from '../transport/quote.js';
import { isValidName, modeProblem, modeString, parseMode } from './common.js';
import type { StatResult } from './common.js';
import type { Action, ArgKeys, Change } from './types.js';

export interface Attrs {
  owner?: string;
  group?: string;
  mode?: number | string;
}

/** The keys of {@link Attrs}, for ops whose args extend it. */
export const ATTR_KEYS: ArgKeys<Attrs> = { owner: 'string', group: 'string', mode: 'mode' };

/**
 * Validation sentences for owner, group and mode, so a typo fails when the plan is built
 * rather than halfway through a run.
 *
 * @example
 * validateAttrs({ mode: '0844' })   // ["mode \"0844\" is not a valid mode (use an octal number like 0o644 or a string like '0644')"]
 */
export function validateAttrs(a: Attrs): string[] {
  const problems: string[] = [];
  const mp = modeProblem('mode', a.mode);
  if (mp) problems.push(mp);
  if (a.owner !== undefined && !isValidName(a.owner)) problems.push(`owner ${JSON.stringify(a.owner)} is not a valid user name`);
  if (a.group !== undefined && !isValidName(a.group)) problems.push(`group ${JSON.stringify(a.group)} is not a valid group name`);
  return problems;
}

/**
 * Changes of owner, group and mode between the wanted attributes and an existing path; a
 * numeric owner or group is compared with the probed uid/gid.
 *
 * @example
 * attrChanges({ owner: 'www', mode: '0640' }, parseStat('file 644 root root 0 0'))
 * // [{ what: 'owner', before: 'root', after: 'www' }, { what: 'mode', before: '0644', after: '0640' }]
 */
export function attrChanges(a: Attrs, stat: StatResult): Change[] {
  const changes: Change[] = [];
  const mode = parseMode(a.mode);
  if (a.owner !== undefined && !sameId(a.owner, stat.owner, stat.uid)) changes.push({ what: 'owner', before: stat.owner, after: a.owner });
  if (a.group !== undefined && !sameId(a.group, stat.group, stat.gid)) changes.push({ what: 'group', before: stat.group, after: a.group });
  if (mode !== undefined && stat.mode !== mode) {
    changes.push({ what: 'mode', before: stat.mode === undefined ? undefined : modeString(stat.mode), after: modeString(mode) });
  }
  return changes;
}

/** A numeric owner is compared with the uid (when probed), a name with the name. */
function sameId(want: string, name: string | undefined, id: number | undefined): boolean {
  if (/^\d+$/.test(want)) return id === undefined ? true : id === Number(want);
  return name === want;
}

/**
 * chown/chmod actions for the attribute changes among `changes` (other changes are ignored),
 * so ops can diff once and apply only what differs.
 *
 * @example
 * attrActions('/etc/app.conf', { owner: 'www', mode: 0o640 }, changes)
 * // [{ kind: 'exec', command: "chown www -- /etc/app.conf && chmod 0640 -- /etc/app.conf" }]  (one round trip)
 */
export function attrActions(path: string, a: Attrs, changes: Change[], inTree = false): Action[] {
  return chained(attrCommands(path, a, changes, inTree));
}

/** The chown/chmod commands of attrActions, for an op that chains them after its own. */
export function attrCommands(path: string, a: Attrs, changes: Change[], inTree = false): string[] {
  const has = (w: string) => changes.some((c) => c.what === w);
  const p = quote(path);
  // Inside a tree an op writes (a directory copy), a symlink someone else planted is never
  // followed: chown -h acts on the link itself, and chmod refuses a path that became a link.
  const guard = inTree ? `if [ -L ${p} ]; then echo ${quote(`${path} is a symlink: refusing to follow it`)} >&2; exit 1; fi; ` : '';
  const commands: string[] = [];
  if (has('owner') || has('group')) {
    const spec = has('owner') ? `${a.owner}${has('group') ? ':' + a.group : ''}` : `:${a.group}`;
    commands.push(`${guard}chown ${inTree ? '-h ' : ''}${quote(spec)} -- ${p}`);
  }
  if (has('mode')) commands.push(`${guard}chmod ${modeString(parseMode(a.mode)!)} -- ${p}`);
  return commands;
}

/**
 * One exec action for commands that would each cost a round trip: `{ a; } && { b; }`, so the
 * first failure stops the rest and is the exit code (a command's own `exit 1` ends them all).
 *
 * @example
 * chained(['mkdir -p -- /opt/app', 'chmod 0755 -- /opt/app'])
 * // [{ kind: 'exec', command: 'mkdir -p -- /opt/app && chmod 0755 -- /opt/app' }]
 */
export function chained(commands: string[]): Action[] {
  if (!commands.length) return [];
  const part = (c: string) => (commands.length === 1 || /^[\w./:=+ '-]*$/.test(c.replace(/'[^'\n]*'/g, "''")) ? c : `{ ${c}; }`);
  return [{ kind: 'exec', command: commands.map(part).join(' && ') }];
}
