import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ShipshapeError } from '../errors.js';
import { resolveKeyPaths } from './connection.js';
import { expandHostPattern } from './host-range.js';
import { iniValue } from './python-literal.js';
import type { HostOptions, InventoryData } from './types.js';
import { nameProblem } from './validate.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const CHILD = /^([^:\]\s]+)\s*(?:#.*)?$/;
const FIX = 'an INI inventory has [group] sections of host lines (web-01 ansible_host=10.0.0.5 ansible_port=2222), [group:vars] sections of name=value lines and [group:children] sections of group names; lines starting with # or ; are comments';

/**
 * Reads an Ansible INI inventory (Ansible's default `hosts` file): `[group]` host lines with
 * `key=value` host variables, `[group:vars]`, `[group:children]`, hosts before any section in
 * `ungrouped`, `#`/`;` comments, quoted values, host ranges (`web[01:10]`, `db-[a:f]`,
 * `[1:9:2]`) and `host:port`. Values are typed as Ansible does: a Python literal is read as
 * one (`2222`, `True`, `'text'`, `[1, 2]`), anything else is a string (`yes`, `10.0.0.5`).
 * Every problem names the file and line (`hosts.ini:12: ...`), all in one error.
 *
 * @example
 * readIni('inventory/hosts').groups!.web   // { hosts: ['web-01', 'web-02'], vars: { http_port: 80 }, children: [] }
 */
export function readIni(file: string, text = readFileSync(file, 'utf8')): InventoryData {
  const problems: string[] = [];
  const hosts: Record<string, HostOptions & { vars: Record<string, unknown> }> = Object.create(null);
  const groups: Record<string, { hosts: string[]; vars: Record<string, unknown>; children: string[] }> = Object.create(null);
  const group = (name: string) => (groups[name] ??= { hosts: [], vars: {}, children: [] });
  // Which hosts each group has listed: a Set, since a group may list thousands.
  const listed = new Map<string, Set<string>>();
  // Ansible's rule: [g] or [g:children] declares g; [g:vars] and a child named elsewhere need it declared.
  const declared = new Set(['all', 'ungrouped']);
  const needed = new Map<string, { line: number; why: string }>();
  const dir = dirname(resolve(file));
  let name = 'ungrouped';
  let state = 'hosts';
  let yamlLike = false;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (yamlLike) return;
    const n = i + 1;
    const bad = (why: string) => problems.push(`${problems.length ? 'line ' : `${file}:`}${n}: ${why}`);
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const section = SECTION.exec(line);
    if (section) {
      name = section[1]!;
      state = section[2] ?? 'hosts';
      if (!['hosts', 'vars', 'children'].includes(state)) { bad(`section [${name}:${state}] has an unknown type: ${state} (a section is [${name}], [${name}:vars] or [${name}:children])`); state = 'skip'; return; }
      group(name);
      if (state === 'vars') { if (!declared.has(name) && !needed.has(name)) needed.set(name, { line: n, why: `section [${name}:vars] is for a group that no [${name}] or [${name}:children] section declares` }); }
      else { declared.add(name); needed.delete(name); }
      return;
    }
    if (line.startsWith('[') && line.endsWith(']')) { bad(`${line} is not a section: a section name has no spaces or other [ ] : characters (like [web] or [web:vars])`); state = 'skip'; return; }
    if (state === 'skip') return;
    if (state === 'vars') {
      const eq = line.indexOf('=');
      const key = eq < 0 ? '' : line.slice(0, eq).trim();
      if (eq < 0 || !key) { bad(`[${name}:vars] expects name=value, got ${JSON.stringify(line)}`); return; }
      groups[name]!.vars[key] = iniValue(line.slice(eq + 1).trim());
      resolveKeyPaths(groups[name]!.vars, dir);
      return;
    }
    if (state === 'children') {
      const child = CHILD.exec(line);
      if (!child) { bad(`[${name}:children] expects one group name a line, got ${JSON.stringify(line)}`); return; }
      if (!groups[name]!.children.includes(child[1]!)) groups[name]!.children.push(child[1]!);
      if (!declared.has(child[1]!) && !needed.has(child[1]!)) needed.set(child[1]!, { line: n, why: `section [${name}:children] names the group ${JSON.stringify(child[1])}, which no [${child[1]}] or [${child[1]}:children] section declares` });
      return;
    }
    const tokens = shlexSplit(line);
    if (typeof tokens === 'string') { bad(`host line ${JSON.stringify(line)}: ${tokens}`); return; }
    const [pattern, ...assignments] = tokens;
    if (pattern === undefined) return;
    if (pattern === '---' || /^[^=\s]+:$/.test(pattern)) { bad(`${JSON.stringify(pattern)} is not a host: this looks like YAML; name the file hosts.yml (or .yaml) to read it as a YAML inventory`); yamlLike = true; return; }
    const x = expandHostPattern(pattern);
    if ('error' in x) { bad(x.error); return; }
    const vars: Record<string, unknown> = x.port === undefined ? {} : { ansible_port: x.port };
    for (const a of assignments) {
      const eq = a.indexOf('=');
      if (eq <= 0) { bad(`host ${pattern}: expected key=value host variable assignment, got ${JSON.stringify(a)}`); return; }
      vars[a.slice(0, eq)] = iniValue(a.slice(eq + 1));
    }
    for (const h of x.names) {
      const why = nameProblem(h);
      if (why) { bad(`host name ${JSON.stringify(h)} ${why}`); return; }
      const g = groups[name] ?? group(name);
      const seen = listed.get(name) ?? new Set<string>();
      listed.set(name, seen);
      if (!seen.has(h)) { seen.add(h); g.hosts.push(h); }
      const host = (hosts[h] ??= { vars: {} });
      Object.assign(host.vars, resolveKeyPaths({ ...vars }, dir));
    }
  });
  for (const [g, { line, why }] of needed) if (!declared.has(g)) problems.push(`${problems.length ? 'line ' : `${file}:`}${line}: ${why}`);
  if (problems.length) {
    const more = problems.length > 5 ? `; and ${problems.length - 5} more` : '';
    throw new ShipshapeError(`${problems.slice(0, 5).join('; ')}${more}`, { fix: FIX });
  }
  return { hosts, groups };
}

/**
 * A host line split as Python's `shlex.split(line, comments=True)`, which Ansible uses: white
 * space separates words, quotes group them (and go), `\` escapes, `#` outside quotes ends the
 * line. An unclosed quote is a message.
 */
function shlexSplit(line: string): string[] | string {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (/\s/.test(c)) { if (word !== undefined) words.push(word); word = undefined; continue; }
    if (c === '#') break;
    if (c === '\\') {
      if (i + 1 >= line.length) return 'it ends with a \\ that escapes nothing';
      word = (word ?? '') + line[++i];
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let text = '';
      for (; j < line.length && line[j] !== c; j++) {
        // In double quotes a backslash escapes only " and \, as in POSIX shells.
        if (c === '"' && line[j] === '\\' && (line[j + 1] === '"' || line[j + 1] === '\\')) j++;
        text += line[j];
      }
      if (j >= line.length) return `the quote ${c} is not closed`;
      word = (word ?? '') + text;
      i = j;
      continue;
    }
    word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}
