/**
 * Check mode's question "will this chown work?": the users and groups a host's tasks name as
 * owner or group, whether they exist on the host (one probe section in the batched probe),
 * and whether an earlier task of the plan would create a missing one.
 */
import { quote } from '../transport/quote.js';
import type { Task } from '../plan/types.js';

export interface AccountsNamed { users: string[]; groups: string[] }

const str = (v: unknown): v is string => typeof v === 'string' && v !== '';

/**
 * The users and groups a task needs to exist: `owner` and `group` of file-like ops; for the
 * `user` op its primary `group` and supplementary `groups`.
 *
 * @example
 * accountsOf(task)   // { users: ['www'], groups: ['www'] }
 */
export function accountsOf(t: Task): AccountsNamed {
  const a = (t.args ?? {}) as Record<string, unknown>;
  const users = t.kind === 'user' ? [] : [a.owner].filter(str);
  const groups = [a.group, ...(t.kind === 'user' && Array.isArray(a.groups) ? a.groups : [])].filter(str);
  return { users, groups };
}

/**
 * Probe printing `user NAME` / `group NAME` for each of the names that exists (numeric ids
 * included: getent resolves them).
 *
 * @example
 * accountsProbe({ users: ['www'], groups: [] })   // "getent passwd -- www >/dev/null 2>&1 && echo 'user www'"
 */
export function accountsProbe(n: AccountsNamed): string | undefined {
  const lines = [
    ...[...new Set(n.users)].map((u) => `getent passwd -- ${quote(u)} >/dev/null 2>&1 && echo ${quote(`user ${u}`)}`),
    ...[...new Set(n.groups)].map((g) => `getent group -- ${quote(g)} >/dev/null 2>&1 && echo ${quote(`group ${g}`)}`),
  ];
  return lines.length ? `${lines.join('; ')}; true` : undefined;
}

/** The names an {@link accountsProbe} found. */
export function parseAccounts(stdout: string): { users: Set<string>; groups: Set<string> } {
  const users = new Set<string>();
  const groups = new Set<string>();
  for (const line of stdout.split('\n')) {
    const m = /^(user|group) (.+)$/.exec(line);
    if (m) (m[1] === 'user' ? users : groups).add(m[2]!);
  }
  return { users, groups };
}

/**
 * Why a task would fail for a missing owner or group, `certain` or not: undefined when every
 * name exists or an earlier task that would change creates it. An earlier apt task that would
 * change might create it (packages make system users), so then it cannot be known.
 *
 * @example
 * missingAccounts(task, found, earlier)   // { certain: true, reason: 'owner "app" does not exist on the host, and no earlier task creates it' }
 */
export function missingAccounts(
  t: Task, found: { users: Set<string>; groups: Set<string> }, earlier: Task[],
): { certain: boolean; reason: string } | undefined {
  const need = accountsOf(t);
  const createdUsers = new Set<string>();
  const createdGroups = new Set<string>();
  let packages = false;
  for (const e of earlier) {
    const a = (e.args ?? {}) as Record<string, unknown>;
    if (e.kind === 'user' && a.state !== 'absent' && str(a.name)) { createdUsers.add(a.name); if (!str(a.group)) createdGroups.add(a.name); }
    if (e.kind === 'group' && a.state !== 'absent' && str(a.name)) createdGroups.add(a.name);
    if (e.kind === 'apt' && a.state !== 'absent') packages = true;
  }
  const missing = [
    ...need.users.filter((u) => !found.users.has(u) && !createdUsers.has(u)).map((u) => `owner ${JSON.stringify(u)}`),
    ...need.groups.filter((g) => !found.groups.has(g) && !createdGroups.has(g)).map((g) => `group ${JSON.stringify(g)}`),
  ];
  if (!missing.length) return undefined;
  const what = `${missing.join(' and ')} ${missing.length === 1 ? 'does' : 'do'} not exist on the host`;
  return packages
    ? { certain: false, reason: `${what}; an earlier apt task may create ${missing.length === 1 ? 'it' : 'them'}` }
    : { certain: true, reason: `${what}, and no earlier task creates ${missing.length === 1 ? 'it' : 'them'}` };
}
