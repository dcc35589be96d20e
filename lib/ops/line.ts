import { Script, createContext } from 'node:vm';
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

/** How long the regexps of one line task may take over one file, together. */
export const REGEXP_TIME_LIMIT_MS = 2000;

// User regexps run here, in a vm context, because only there can V8 stop a runaway match: a
// regexp like ^(a+)+$ backtracks for years on one line of a's. The host's grep/sed would
// bound nothing either and speak another dialect (ERE has no \d, lookahead or lazy `*?`).
const sandbox = createContext(Object.create(null));
sandbox.match = new Script(`(function (lines, sources) {
  return sources.map(function (src) {
    if (src === undefined) return [];
    var re = new RegExp(src), hits = [];
    for (var i = 0; i < lines.length; i++) if (re.test(lines[i])) hits.push(i);
    return hits;
  });
})`).runInContext(sandbox);
const callMatch = new Script('match(input.lines, input.sources)');

export interface EditOptions {
  /** The time bound of the regexps (default {@link REGEXP_TIME_LIMIT_MS}). */
  limitMs?: number;
  /** Named in the error. */
  host?: string;
}

/**
 * The indices of the lines each regexp matches, or a ShipshapeError when matching takes
 * longer than `limitMs` in all.
 */
function matchLines(lines: string[], sources: (string | undefined)[], a: LineArgs, o: EditOptions): number[][] {
  const limitMs = o.limitMs ?? REGEXP_TIME_LIMIT_MS;
  sandbox.input = { lines, sources };
  try {
    const hits = callMatch.runInContext(sandbox, { timeout: limitMs }) as number[][];
    return Array.from(hits, (h) => Array.from(h));
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw e;
    const given = (['regexp', 'insertAfter', 'insertBefore'] as const).filter((k, i) => sources[i] !== undefined).map((k) => `${k} ${JSON.stringify(a[k])}`);
    throw new ShipshapeError(`${given.join(', ')} took more than ${limitMs / 1000} s over the ${lines.length} lines of ${a.path}: the match backtracks without end on this content`, {
      host: o.host,
      fix: 'simplify the regexp: no nested or overlapping repeats like (a+)+ or (.*,)*; anchor it, or match a fixed prefix',
    });
  } finally {
    sandbox.input = undefined;
  }
}

/**
 * The lines of `text` with `line` ensured (or removed), as Ansible's lineinfile does it.
 * Returns the new text, or undefined when nothing changes. The regexps run with a time bound
 * ({@link REGEXP_TIME_LIMIT_MS}); past it, a ShipshapeError names them.
 *
 * @example
 * editLines('a=1\n', { path: '/x', line: 'a=2', regexp: '^a=' })   // 'a=2\n'
 */
export function editLines(text: string, a: LineArgs, o: EditOptions = {}): string | undefined {
  const lines = text === '' ? [] : text.split('\n');
  const trailing = lines.length > 0 && lines[lines.length - 1] === '';
  if (trailing) lines.pop();
  const bare = lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const after = a.insertAfter !== 'EOF' ? a.insertAfter : undefined;
  const before = a.insertBefore !== 'BOF' ? a.insertBefore : undefined;
  const needInsert = a.state !== 'absent';
  const [reHits = [], afterHits = [], beforeHits = []] = matchLines(bare, [a.regexp, needInsert ? after : undefined, needInsert ? before : undefined], a, o);
  const hit = a.regexp !== undefined ? new Set(reHits) : undefined;
  const matches = (i: number) => (hit ? hit.has(i) : bare[i] === a.line);
  const render = (ls: string[], endNl: boolean) => ls.join('\n') + (endNl && ls.length > 0 ? '\n' : '');
  if (a.state === 'absent') {
    const kept = lines.filter((_, i) => !matches(i));
    return kept.length === lines.length ? undefined : render(kept, trailing);
  }
  let last = -1;
  for (let i = 0; i < lines.length; i++) if (matches(i)) last = i;
  if (last >= 0) {
    if (bare[last] === a.line) return undefined;
    lines[last] = a.line;
    return render(lines, true);
  }
  if (hit && bare.includes(a.line)) return undefined;
  lines.splice(insertAt(lines.length, a, afterHits, beforeHits), 0, a.line);
  return render(lines, true);
}

/** Where a new line goes, from the lines insertAfter and insertBefore matched. */
function insertAt(count: number, a: LineArgs, afterHits: number[], beforeHits: number[]): number {
  if (a.insertBefore !== undefined) {
    if (a.insertBefore === 'BOF') return 0;
    return beforeHits.length ? beforeHits[0]! : count;
  }
  if (a.insertAfter !== undefined && a.insertAfter !== 'EOF') return afterHits.length ? afterHits[afterHits.length - 1]! + 1 : count;
  return count;
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
    ...ATTR_KEYS, path: 'string', line: 'text', regexp: 'string', state: 'string', insertAfter: 'string', insertBefore: 'string', create: 'boolean',
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
  footprint: (a) => [{ path: a.path }],

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
    const edited = cur === 'file' || cur === 'absent' ? editLines(text, { ...a, line }, { host: ctx.host }) : undefined;
    const content = Buffer.from(edited ?? text, enc);
    // fileChanges throws for a directory or other non-file path.
    const changes = fileChanges(a.path, content, state, a, ctx.host);
    const data: PutData = { path: a.path, content, state };
    const noop = a.state === 'absent' ? `no line of ${a.path} matches` : `${a.path} has the line`;
    return { changes, data, noop };
  },

  apply: (a, diff) => fileActions(diff.data as PutData, a, diff.changes),
};
