import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Node } from 'yaml';
import { ShipshapeError } from '../errors.js';
import { sub } from './validate.js';

// Loaded when a YAML file is first read: most inventories are JSON or INI (about 60 ms of start-up).
let yamlLib: typeof import('yaml') | undefined;
const loadYaml = () => (yamlLib ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));

/** A YAML file's value, and the line of each of its fields (`all.children.web.hosts`). */
export interface YamlFile {
  value: unknown;
  lineOf(field: string): number | undefined;
}

/**
 * Reads a YAML file as Ansible does (YAML 1.1, as PyYAML: `yes`/`no` are booleans, `0755`
 * octal, `<<` merge keys; dates stay strings). A syntax error is one ShipshapeError naming
 * the file, line and column (`group_vars/web.yml:3:7: ...`) with the fix.
 *
 * @example
 * readYamlFile('hosts.yml').value   // { all: { children: { web: { hosts: { 'web-01': null } } } } }
 */
export function readYamlFile(file: string): YamlFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ShipshapeError(`cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  const { isMap, isScalar, isSeq, LineCounter, parseDocument } = loadYaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.1',
    merge: true,
    lineCounter: lines,
    prettyErrors: false,
    customTags: (tags) => tags.filter((t) => !(typeof t === 'object' && t.tag === 'tag:yaml.org,2002:timestamp')),
  });
  const err = doc.errors[0];
  if (err) {
    const pos = lines.linePos(err.pos[0]);
    const what = err.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').split('\n')[0];
    throw new ShipshapeError(`${file}:${pos.line}:${pos.col}: ${what}`, { fix: 'fix the YAML on that line (indent with spaces, quote a value that has ": " or starts with { [ * & !)' });
  }
  const fields = new Map<string, number>();
  const walk = (node: unknown, at: string) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined) continue;
        const field = sub(at, key);
        const start = (pair.key as Node).range?.[0];
        if (start !== undefined) fields.set(field, lines.linePos(start).line);
        walk(pair.value, field);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const start = (item as Node | null)?.range?.[0];
        if (start !== undefined) fields.set(sub(at, i), lines.linePos(start).line);
        walk(item, sub(at, i));
      });
    }
  };
  walk(doc.contents, '');
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw new ShipshapeError(`${file}: ${(e as Error).message}`, { fix: 'fix the YAML aliases (*name) of the file' });
  }
  return {
    value,
    lineOf(field) {
      for (let f = field; f; f = f.replace(/(?:\.[A-Za-z_][A-Za-z0-9_]*|\[(?:\d+|"(?:[^"\\]|\\.)*")\])$/, '')) {
        const line = fields.get(f);
        if (line !== undefined) return line;
        if (!/(?:\.[A-Za-z_][A-Za-z0-9_]*|\[(?:\d+|"(?:[^"\\]|\\.)*")\])$/.test(f)) break;
      }
      return undefined;
    },
  };
}
