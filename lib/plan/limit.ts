/** `--limit` with Ansible's host patterns: names, groups, globs, `~regex`, `!exclusion`, `&intersection`, `@file`. */
import { readFileSync } from 'node:fs';

export interface LimitResult {
  hosts: Set<string>;
  problems: string[];
}

/** A glob (`*`, `?`, `[abc]`) as a whole-name regexp; undefined when `p` has no glob characters. */
function globRegExp(p: string): RegExp | undefined {
  if (!/[*?[]/.test(p)) return undefined;
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = p.indexOf(']', i + 1);
      if (end < 0) { re += '\\['; continue; }
      re += `[${p.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Selects hosts as Ansible's `--limit` does: the union of the plain patterns (all hosts when
 * there are none), narrowed by every `&pattern`, minus every `!pattern`. A pattern is a host
 * name, a group name, a glob over host and group names (`web-*`), `~regex`, or `@file` (one
 * pattern a line). A pattern that matches nothing, and an empty selection, are problems.
 *
 * @example
 * selectHosts(['web-*', '!web-01'], ['web-01', 'web-02', 'db'], (g) => undefined).hosts   // Set { 'web-02' }
 */
export function selectHosts(patterns: string[], hosts: string[], groupMembers: (name: string) => string[] | undefined, groups: string[] = []): LimitResult {
  const problems: string[] = [];
  const terms: string[] = [];
  for (const p of patterns) {
    if (p.startsWith('@')) {
      try {
        terms.push(...readFileSync(p.slice(1), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));
      } catch (e) {
        problems.push(`--limit ${p}: cannot read ${p.slice(1)}: ${(e as Error).message}`);
      }
    } else terms.push(p);
  }
  const known = new Set(hosts);
  const match = (term: string): Set<string> | undefined => {
    const out = new Set<string>();
    const add = (names: Iterable<string>) => { for (const n of names) if (known.has(n)) out.add(n); };
    let re: RegExp | undefined;
    if (term.startsWith('~')) {
      try { re = new RegExp(term.slice(1)); } catch (e) { problems.push(`--limit ${JSON.stringify(term)} is not a valid regular expression: ${(e as Error).message}`); return undefined; }
    } else re = globRegExp(term);
    if (!re) {
      if (known.has(term)) add([term]);
      const members = groupMembers(term);
      if (members) add(members);
      return members || known.has(term) ? out : undefined;
    }
    add(hosts.filter((h) => re!.test(h)));
    for (const g of groups) if (re.test(g)) add(groupMembers(g) ?? []);
    return out.size ? out : undefined;
  };
  const plus: Set<string>[] = [];
  const and: Set<string>[] = [];
  const not: Set<string>[] = [];
  for (const t of terms) {
    const kind = t.startsWith('!') ? not : t.startsWith('&') ? and : plus;
    const body = kind === plus ? t : t.slice(1);
    const m = match(body);
    if (!m) {
      if (!problems.some((p) => p.includes(JSON.stringify(body)))) {
        problems.push(`--limit ${JSON.stringify(t)} names no host or group of this plan (hosts: ${hosts.join(', ') || 'none'})`);
      }
      continue;
    }
    kind.push(m);
  }
  let selected = plus.length ? new Set(plus.flatMap((s) => [...s])) : new Set(hosts);
  for (const s of and) selected = new Set([...selected].filter((h) => s.has(h)));
  for (const s of not) for (const h of s) selected.delete(h);
  if (!problems.length && selected.size === 0) problems.push(`--limit ${patterns.join(',')} selects no host (hosts: ${hosts.join(', ') || 'none'})`);
  return { hosts: selected, problems };
}
