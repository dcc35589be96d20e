/** Python requirement strings and versions, as far as pip's idempotency check needs them. */

/**
 * PEP 503 normalized name.
 *
 * @example
 * normalizeName('Flask_Cors')   // 'flask-cors'
 */
export function normalizeName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

export interface Requirement {
  /** As written. */
  spec: string;
  /** Normalized. */
  name: string;
  /** `[op, version]` pairs, all of which must hold. */
  specifiers: [string, string][];
  /** The environment marker after `;`, as written (`python_version < "3.10"`); only pip evaluates it. */
  marker?: string;
}

const SPEC = /^(===|==|!=|~=|>=|<=|>|<)\s*([A-Za-z0-9.*+!_-]+)$/;

// Hand scanners, not regexps: requirement text comes from deploy files and from hosts'
// requirements files, and a backtracking regexp took minutes on a line of spaces.
const isSpace = (c: string) => /\s/.test(c);
const LINE_BREAK = /[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/;
const isAlnum = (c: string) => /[A-Za-z0-9]/.test(c);
const isNameChar = (c: string) => /[A-Za-z0-9._-]/.test(c);

function skipSpaces(s: string, i: number): number {
  while (i < s.length && isSpace(s[i]!)) i++;
  return i;
}

/**
 * Parses `name`, `name[extra]==1.2`, `name>=1,<2`, `name @ url`; undefined when it is none of those.
 *
 * @example
 * parseRequirement('Flask>=3,<4')   // { spec: 'Flask>=3,<4', name: 'flask', specifiers: [['>=', '3'], ['<', '4']] }
 */
export function parseRequirement(spec: string): Requirement | undefined {
  const s = spec.trim();
  // One requirement is one line.
  if (s === '' || !isAlnum(s[0]!) || LINE_BREAK.test(s)) return undefined;
  let i = 1;
  while (i < s.length && isNameChar(s[i]!)) i++;
  const name = s.slice(0, i);
  i = skipSpaces(s, i);
  if (s[i] === '[') {
    const close = s.indexOf(']', i);
    if (close < 0) return undefined;
    i = skipSpaces(s, close + 1);
  }
  if (s[i] === '@') {
    // `name @ url`: only pip can judge the url.
    const u = skipSpaces(s, i + 1);
    if (u >= s.length) return undefined;
    // PEP 508: a marker after a URL follows white space, since `;` may be part of the URL.
    const m = /\s;/.exec(s.slice(u));
    const marker = m ? s.slice(u + m.index + 2).trim() : '';
    return { spec, name: normalizeName(name), specifiers: [], ...(marker ? { marker } : {}) };
  }
  if (!isAlnum(name[name.length - 1]!)) return undefined;
  const semi = s.indexOf(';', i);
  const text = s.slice(i, semi < 0 ? s.length : semi).trim();
  const specifiers: [string, string][] = [];
  if (text !== '') {
    for (const part of text.split(',')) {
      const sm = SPEC.exec(part.trim());
      if (!sm) return undefined;
      specifiers.push([sm[1]!, sm[2]!]);
    }
  }
  const marker = semi < 0 ? '' : s.slice(semi + 1).trim();
  return { spec, name: normalizeName(name), specifiers, ...(marker ? { marker } : {}) };
}

/** The line without its comment: from a `#` at the start or after white space. */
function stripComment(line: string): string {
  for (let i = 0; i < line.length; i++) if (line[i] === '#' && (i === 0 || isSpace(line[i - 1]!))) return line.slice(0, i);
  return line;
}

/**
 * The plain requirements of a requirements file: comments, options (`-r`, `--hash`, ...),
 * editables and URLs are skipped, since only pip can judge those.
 *
 * @example
 * requirementsOf('Flask>=3  # web\n-r base.txt\ngunicorn==21.2.0\n').map((r) => r.name)   // ['flask', 'gunicorn']
 */
export function requirementsOf(text: string): Requirement[] {
  const out: Requirement[] = [];
  // Lines end where Python's splitlines() ends them, as pip reads the file.
  for (const raw of text.replace(/\\(?:\r\n|\r|\n)/g, ' ').split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/)) {
    const line = stripComment(raw).trim().replace(/\s--hash=\S+/g, '');
    if (!line || line.startsWith('-') || /^[a-z+]+:\/\//i.test(line) || line.startsWith('.') || line.startsWith('/')) continue;
    const r = parseRequirement(line);
    if (r) out.push(r);
  }
  return out;
}

interface Version {
  epoch: number;
  release: number[];
  /** Pre, post and dev parts as one sortable key. */
  rest: number[];
  /** The local label, normalized (`+ubuntu-1` gives `ubuntu.1`); '' when none. */
  local: string;
}

const PRE: Record<string, number> = { a: 0, alpha: 0, b: 1, beta: 1, c: 2, rc: 2, pre: 2, preview: 2 };
const VERSION = /^v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?(?:-(\d+)|[-_.]?(?:post|rev|r)[-_.]?(\d*))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/i;

/** A PEP 440 version, parsed as pip compares it; undefined if it is not PEP 440. */
function versionOf(v: string): Version | undefined {
  const m = VERSION.exec(v.trim());
  if (!m) return undefined;
  const hasPre = m[3] !== undefined, hasPost = m[5] !== undefined || m[6] !== undefined, hasDev = m[7] !== undefined;
  // 1.0.dev1 < 1.0a1 < 1.0 < 1.0.post1
  const pre = hasPre ? [PRE[m[3]!.toLowerCase()]!, Number(m[4] || 0)] : hasDev && !hasPost ? [-1, 0] : [3, 0];
  const post = hasPost ? Number(m[5] ?? m[6] ?? 0) : -1;
  const dev = hasDev ? Number(m[7] || 0) : Number.MAX_SAFE_INTEGER;
  return { epoch: Number(m[1] ?? 0), release: m[2]!.split('.').map(Number), rest: [...pre, post, dev], local: (m[8] ?? '').toLowerCase().replace(/[-_]/g, '.') };
}

function compareNumbers(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/** Public versions compared; the release is zero-padded, so 1.0 == 1.0.0. Local labels are left to the caller. */
function compare(a: Version, b: Version): number {
  return a.epoch - b.epoch || compareNumbers(a.release, b.release) || compareNumbers(a.rest, b.rest);
}

/** `==1.4.*`: the release starts with the prefix, zero-padded (1.4rc1 and 1.4.0.post1 match, 1.40 does not). */
function prefixMatch(installed: string, prefix: string): boolean {
  const want = prefix.replace(/\.\*$/, '');
  const have = versionOf(installed), p = versionOf(want);
  if (!have || !p || p.rest.join() !== [3, 0, -1, Number.MAX_SAFE_INTEGER].join() || p.local) return installed.startsWith(want);
  return have.epoch === p.epoch && p.release.every((n, i) => n === (have.release[i] ?? 0));
}

/** `==`: equal public versions, and equal local labels when the wanted version has one (PEP 440). */
function equal(installed: Version, want: Version): boolean {
  return compare(installed, want) === 0 && (want.local === '' || installed.local === want.local);
}

/** Whether an installed version satisfies one specifier; versions pip would not parse satisfy. */
function holds(installed: string, op: string, want: string): boolean {
  if (op === '===') return installed === want;
  if (op === '==' && want.endsWith('.*')) return prefixMatch(installed, want);
  if (op === '!=' && want.endsWith('.*')) return !prefixMatch(installed, want);
  const a = versionOf(installed), b = versionOf(want);
  if (!a || !b) return op === '==' ? installed === want : op === '!=' ? installed !== want : true;
  const c = compare(a, b);
  switch (op) {
    case '==': return equal(a, b);
    case '!=': return !equal(a, b);
    case '>=': return c >= 0;
    case '<=': return c <= 0;
    case '>': return c > 0;
    case '<': return c < 0;
    case '~=': return c >= 0 && b.release.length > 1 && prefixMatch(installed, b.release.slice(0, -1).join('.'));
    default: return true;
  }
}

/**
 * Whether the installed version satisfies every specifier of the requirement.
 *
 * @example
 * satisfies('21.2.0', parseRequirement('gunicorn>=20,<22')!)   // true
 */
export function satisfies(installed: string, r: Requirement): boolean {
  return r.specifiers.every(([op, v]) => holds(installed, op, v));
}
