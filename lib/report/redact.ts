/** The registry of secret values and the one function that masks them in text. */
import { inspect } from 'node:util';
import { escapeLine } from './escape.js';

/** What a secret is shown as, whatever its length. */
export const MASK = '********';

/** Shorter values cannot be masked without masking the same letters everywhere else. */
export const MIN_SECRET_LENGTH = 3;

const fragments = new Set<string>();
let pattern: RegExp | undefined;

// A secret reaches text raw, or already encoded by whoever built the text: inside a JSON
// string, a single-quoted shell word, util.inspect (debug's %o/%O), or a shown escape.
function encodings(s: string): string[] {
  return [s, JSON.stringify(s).slice(1, -1), s.replace(/'/g, `'\\''`), inspect(s).slice(1, -1), escapeLine(s)];
}

const long = (s: string) => s.trim().length >= MIN_SECRET_LENGTH;

/**
 * Registers a value every output must mask: the whole value and, when it spans lines, each
 * line of it (trimmed, those of at least {@link MIN_SECRET_LENGTH} characters), since diffs,
 * indented error text and per-line log prefixes split a value into its lines. Shorter lines
 * are not registered: masking them would mask the same characters everywhere.
 *
 * @example
 * registerSecret('user=app\npassword=hunter2\n'); redact(' password=hunter2')   // ' ********'
 */
export function registerSecret(value: string): void {
  const parts = [value, value.trim(), ...(/[\r\n]/.test(value) ? value.split(/\r?\n|\r/).map((l) => l.trim()) : [])];
  let added = false;
  for (const p of parts) {
    if (!long(p)) continue;
    for (const e of encodings(p)) {
      if (e.length >= MIN_SECRET_LENGTH && !fragments.has(e)) { fragments.add(e); added = true; }
    }
  }
  if (added) pattern = undefined;
}

function compiled(): RegExp | undefined {
  if (fragments.size === 0) return undefined;
  pattern ??= new RegExp([...fragments].sort((a, b) => b.length - a.length).map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return pattern;
}

const WORD = /[\p{L}\p{N}_]/u;

/**
 * Replaces every registered secret in text by {@link MASK}. A match inside a longer word masks
 * the whole word: masking only the matched letters (`pass` in `password` shown as
 * `********word`) would tell which letters the secret is. Run it on text before any encoding
 * (JSON, shell quoting, escapes, colour); it also knows the common encoded forms.
 *
 * @example
 * secret('hunter2'); redact('password=hunter2')   // 'password=********'
 */
export function redact(text: string): string {
  const re = compiled();
  if (!re || text.length < MIN_SECRET_LENGTH) return text;
  const spans: [number, number][] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let start = m.index;
    let end = start + m[0].length;
    if (WORD.test(m[0][0]!)) while (start > 0 && WORD.test(text[start - 1]!)) start--;
    if (WORD.test(m[0][m[0].length - 1]!)) while (end < text.length && WORD.test(text[end]!)) end++;
    const last = spans[spans.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else spans.push([start, end]);
    re.lastIndex = m.index + 1;
  }
  if (!spans.length) return text;
  let out = '';
  let at = 0;
  for (const [s, e] of spans) { out += text.slice(at, s) + MASK; at = e; }
  return out + text.slice(at);
}

/**
 * {@link redact} for file contents: line by line first, so a secret's lines become masked
 * lines and a diff keeps the file's shape; then as a whole, for a secret of several lines
 * too short to be masked one by one.
 *
 * @example
 * redactLines('a=1\nhunter2\n')   // 'a=1\n********\n'
 */
export function redactLines(text: string): string {
  return redact(text.split('\n').map(redact).join('\n'));
}

/**
 * A copy of a JSON-able value with every string, and every object key, redacted: for
 * structured output, where redacting the encoded text would miss escaped secrets.
 *
 * @example
 * redactDeep({ name: 'set "hun\\ter2"' })   // { name: 'set "********"' }
 */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value) && typeof (value as { toJSON?: unknown }).toJSON !== 'function') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k), redactDeep(v)])) as T;
  }
  return value;
}
