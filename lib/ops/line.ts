import { ShipshapeError } from '../errors.js';
import { ATTR_KEYS, validateAttrs, type Attrs } from './attrs.js';
import { absolutePathProblem, oneOfProblem } from './common.js';
import { contentProbe, fileActions, fileChanges, parseContentProbe, type PutData } from './content.js';
import type { OpSpec } from './types.js';

export interface LineArgs extends Attrs {
  path: string;
  /** The whole line, without a newline. */
  line: string;
  /** A JavaScript regular expression: the last matching line is replaced (absent: every match is removed). */
  regexp?: string;
  state?: 'present' | 'absent';
  /** Where a new line goes: after the last line matching this regexp, or `EOF` (the default). */
  insertAfter?: string;
  /** Or before the first line matching this regexp, or `BOF`. */
  insertBefore?: string;
  /** Create the file when missing (else that is an error for `present`). */
  create?: boolean;
}

/** Files up to this size are fetched whole by the probe: the new content is computed locally. */
export const LINE_LIMIT = 16 * 1024 * 1024;

function regexProblem(label: string, re: unknown, special?: string): string | undefined {
  if (re === undefined || re === special) return undefined;
  if (typeof re !== 'string') return `${label} ${JSON.stringify(re)} must be a regular expression string`;
  try { new RegExp(re); return undefined; } catch (e) { return `${label} ${JSON.stringify(re)} is not a valid regular expression: ${(e as Error).message}`; }
}

/**
 * The lines of `text` with `line` ensured (or removed), as Ansible's lineinfile does it.
 * Returns the new text, or undefined when nothing changes.
 *
 * @example
 * editLines('a=1\n', { path: '/x', line: 'a=2', regexp: '^a=' })   // 'a=2\n'
 */
export function editLines(text: string, a: LineArgs): string | undefined {
  const lines = text === '' ? [] : text.split('\n');
  const trailing = lines.length > 0 && lines[lines.length - 1] === '';
  if (trailing) lines.pop();
  const bare = (l: string) => l.replace(/\r$/, '');
  const re = a.regexp !== undefined ? new RegExp(a.regexp) : undefined;
  const matches = (l: string) => (re ? re.test(bare(l)) : bare(l) === a.line);
  const render = (ls: string[], endNl: boolean) => ls.join('\n') + (endNl && ls.length > 0 ? '\n' : '');
  if (a.state === 'absent') {
    const kept = lines.filter((l) => !matches(l));
    return kept.length === lines.length ? undefined : render(kept, trailing);
  }
  let last = -1;
  lines.forEach((l, i) => { if (matches(l)) last = i; });
  if (last >= 0) {
    if (bare(lines[last]!) === a.line) return undefined;
    lines[last] = a.line;
    return render(lines, true);
  }
  if (re && lines.some((l) => bare(l) === a.line)) return undefined;
  lines.splice(insertAt(lines.map(bare), a), 0, a.line);
  return render(lines, true);
}

function insertAt(lines: string[], a: LineArgs): number {
  if (a.insertBefore !== undefined) {
    if (a.insertBefore === 'BOF') return 0;
    const re = new RegExp(a.insertBefore);
    const i = lines.findIndex((l) => re.test(l));
    return i >= 0 ? i : lines.length;
  }
  if (a.insertAfter !== undefined && a.insertAfter !== 'EOF') {
    const re = new RegExp(a.insertAfter);
    let j = -1;
    lines.forEach((l, i) => { if (re.test(l)) j = i; });
    return j >= 0 ? j + 1 : lines.length;
  }
  return lines.length;
}

/** Content that is not UTF-8 is edited byte for byte (latin1), with the line encoded as UTF-8. */
function decode(buf: Buffer): { text: string; enc: BufferEncoding } {
  const utf8 = buf.toString('utf8');
  return Buffer.from(utf8, 'utf8').equals(buf) ? { text: utf8, enc: 'utf8' } : { text: buf.toString('latin1'), enc: 'latin1' };
}

/**
 * One line of a text file ensured present (replacing the last line matching `regexp`) or
 * absent, like Ansible's lineinfile. The file is rewritten atomically.
 *
 * @example
 * host('web-01').line('/etc/ssh/sshd_config', { regexp: '^#?PasswordAuthentication', line: 'PasswordAuthentication no' })
 */
export const lineOp: OpSpec<LineArgs> = {
  kind: 'line',
  keys: {
    ...ATTR_KEYS, path: 'string', line: 'string', regexp: 'string', state: 'string', insertAfter: 'string', insertBefore: 'string', create: 'boolean',
  },
  describe: (a) => `line ${a.path}: ${a.state === 'absent' ? `no ${a.regexp ?? a.line}` : a.line}`,

  validate(a) {
    const problems = validateAttrs(a);
    const p = absolutePathProblem('path', a.path);
    if (p) problems.push(p);
    if (typeof a.line !== 'string' && !(a.state === 'absent' && a.regexp !== undefined)) problems.push(`line ${JSON.stringify(a.line)} must be a string`);
    else if (typeof a.line === 'string' && /[\r\n]/.test(a.line)) problems.push(`line ${JSON.stringify(a.line)} must be one line (no newline)`);
    const st = oneOfProblem('state', a.state, ['present', 'absent']);
    if (st) problems.push(st);
    for (const x of [regexProblem('regexp', a.regexp), regexProblem('insertAfter', a.insertAfter, 'EOF'), regexProblem('insertBefore', a.insertBefore, 'BOF')]) if (x) problems.push(x);
    if (a.insertAfter !== undefined && a.insertBefore !== undefined) problems.push('give insertAfter or insertBefore, not both');
    return problems;
  },

  probe: (a) => contentProbe(a.path, LINE_LIMIT),

  diff(a, probed, ctx) {
    const state = parseContentProbe(probed.stdout);
    const cur = state.stat.type;
    if (cur === 'absent') {
      if (a.state === 'absent') return { changes: [], noop: `${a.path} does not exist` };
      if (!a.create) {
        if (ctx.check) return { changes: [{ what: 'line', before: `${a.path} missing`, after: a.line }] };
        throw new ShipshapeError(`${a.path} does not exist`, { host: ctx.host, fix: 'pass create: true to create it, or create it earlier' });
      }
    } else if (cur === 'file' && state.content === undefined) {
      throw new ShipshapeError(`${a.path} is larger than ${LINE_LIMIT / 1024 / 1024} MiB: too large for line`, { host: ctx.host });
    }
    const { text, enc } = cur === 'file' ? decode(state.content!) : { text: '', enc: 'utf8' as const };
    const line = enc === 'utf8' ? a.line : Buffer.from(a.line ?? '', 'utf8').toString('latin1');
    const edited = cur === 'file' || cur === 'absent' ? editLines(text, { ...a, line }) : undefined;
    const content = Buffer.from(edited ?? text, enc);
    // fileChanges throws for a directory or other non-file path.
    const changes = fileChanges(a.path, content, state, a, ctx.host);
    const data: PutData = { path: a.path, content, state };
    const noop = a.state === 'absent' ? `no line of ${a.path} matches` : `${a.path} has the line`;
    return { changes, data, noop };
  },

  apply: (a, diff) => fileActions(diff.data as PutData, a, diff.changes),
};
