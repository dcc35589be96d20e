import { ShipshapeError } from '../errors.js';
import { isSecret, reveal, type Secret } from '../secret.js';
import { quote } from '../transport/quote.js';
import { ATTR_KEYS, attrActions, attrChanges, validateAttrs, type Attrs } from './attrs.js';
import { absolutePathProblem, modeString, parseMode, parseStat, section, splitSections, statProbe, type StatResult } from './common.js';
import type { Action, Change, OpSpec } from './types.js';

export interface DownloadArgs extends Attrs {
  /** http:// or https:// URL, fetched on the host (curl, else wget). No `user:password@`: use an Authorization header. */
  url: string;
  /** The file on the host; its folder must exist. */
  dest: string;
  /**
   * Expected sha256 (hex, optionally `sha256:`-prefixed): the download is verified before it is
   * renamed into place, and an existing dest with this checksum is not fetched again.
   */
  sha256?: string;
  /**
   * Request headers, sent over stdin (never on a command line, never shown). Values may be
   * `secret()`.
   */
  headers?: Record<string, string | Secret>;
  /** Fetch even when dest exists and no sha256 is given (then every run downloads and reports a change). */
  force?: boolean;
}

const SHA256 = /^(?:sha256:)?([0-9a-fA-F]{64})$/;
// RFC 9110 token characters
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The wanted checksum in lower case, without its `sha256:` prefix. */
const wantSum = (a: DownloadArgs) => (a.sha256 === undefined ? undefined : SHA256.exec(a.sha256)?.[1]?.toLowerCase());
const dirOf = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/';
const baseOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);

interface DownloadData { state: StatResult }

/**
 * A file fetched by the host itself (curl, else wget) into a temp file next to `dest`,
 * checked against `sha256` when given, then renamed into place: never a half-written file.
 * With `sha256`, an existing dest with that checksum is not fetched again; without it, an
 * existing dest is left alone (like Ansible's get_url without force) unless `force: true`.
 *
 * @example
 * host('web-01').download('https://example.org/tool.tar.gz', '/opt/tool.tar.gz', { sha256: 'e3b0...', mode: 0o644 })
 */
export const downloadOp: OpSpec<DownloadArgs> = {
  kind: 'download',
  keys: { ...ATTR_KEYS, url: 'string', dest: 'string', sha256: 'string', headers: 'object', force: 'boolean' },
  describe: (a) => `download ${a.url} → ${a.dest}`,

  validate(a) {
    const problems = validateAttrs(a);
    problems.push(...urlProblems(a.url));
    const dp = absolutePathProblem('dest', a.dest);
    if (dp) problems.push(dp);
    else if (a.dest.endsWith('/')) problems.push(`dest ${JSON.stringify(a.dest)} must name a file, not a directory (add the file name)`);
    if (a.sha256 !== undefined && (typeof a.sha256 !== 'string' || !SHA256.test(a.sha256))) {
      problems.push(`sha256 ${JSON.stringify(a.sha256)} is not a sha256 checksum (64 hex digits, optionally prefixed with sha256:)`);
    }
    if (a.force !== undefined && typeof a.force !== 'boolean') problems.push(`force ${JSON.stringify(a.force)} must be true or false`);
    if (a.headers !== undefined) problems.push(...headerProblems(a.headers));
    return problems;
  },

  probe(a) {
    const d = quote(a.dest);
    return [
      section('stat', statProbe(a.dest)),
      // Reading a large file costs a little; only a wanted checksum makes it worth it.
      ...(wantSum(a) ? [section('sum', `if [ -f ${d} ] && [ ! -L ${d} ]; then sha256sum < ${d} | cut -d' ' -f1; fi`)] : []),
      section('tools', 'for t in curl wget; do command -v "$t" >/dev/null 2>&1 && echo "$t"; done; true'),
    ].join('; ');
  },

  diff(a, probed, ctx) {
    const s = splitSections(probed.stdout);
    if (s.stat === undefined || s.tools === undefined) {
      throw new ShipshapeError(`download ${a.dest}: the probe printed something unexpected`, { host: ctx.host, stdout: probed.stdout });
    }
    const state = parseStat(s.stat.split('\n')[0] ?? '');
    if (state.type !== 'absent' && state.type !== 'file') {
      throw new ShipshapeError(`${a.dest} exists as a ${state.type}, not a file`, { host: ctx.host, fix: 'remove it first (file with state: \'absent\') or choose another dest' });
    }
    const want = wantSum(a);
    const have = (s.sum ?? '').trim() || undefined;
    const changes: Change[] = [];
    const after = `(downloaded from ${a.url}${want ? `, sha256:${want}` : ''})\n`;
    let noop: string;
    if (state.type === 'absent') {
      changes.push({ what: 'content', before: 'absent', after: want ? `sha256:${want.slice(0, 12)}` : 'download', content: { path: a.dest, before: '', after } });
    } else if (want ? have !== want : a.force === true) {
      const before = have ? `sha256:${have.slice(0, 12)}` : 'file';
      changes.push({ what: 'content', before, after: want ? `sha256:${want.slice(0, 12)}` : 'download (force)', content: { path: a.dest, before: `(current content: ${before})\n`, after } });
    }
    if (state.type === 'file') changes.push(...attrChanges(a, state));
    if (want) noop = `${a.dest} has sha256 ${want.slice(0, 12)}…, the wanted owner and mode`;
    else noop = `${a.dest} exists (not fetched again: give sha256 to compare, or force: true to always fetch)`;
    const tools = s.tools.split('\n').filter(Boolean);
    const fetches = changes.some((c) => c.what === 'content');
    const diff = { changes, noop, data: { state } satisfies DownloadData };
    if (fetches && tools.length === 0) {
      return { ...diff, fails: `neither curl nor wget is installed on ${ctx.host}: cannot download ${a.url} (install curl or wget first, e.g. apt(['curl']))` };
    }
    return diff;
  },

  apply(a, diff, ctx): Action[] {
    const { state } = diff.data as DownloadData;
    if (!diff.changes.some((c) => c.what === 'content')) return attrActions(a.dest, a, diff.changes);
    const headers = Object.entries(a.headers ?? {}).map(([k, v]) => `${k}: ${isSecret(v) ? reveal(v) : v}\n`).join('');
    return [{
      kind: 'exec',
      command: fetchScript(a, state, ctx.host),
      ...(headers ? { stdin: headers } : {}),
      failure: `download of ${a.url} to ${a.dest} failed on ${ctx.host}`,
    }];
  },
};

/**
 * The POSIX sh script that fetches into a temp file next to dest, checks the HTTP status and
 * the sha256, sets mode and owner, and renames it into place. Headers come on stdin, one
 * `Name: value` per line, so they are never on a command line.
 *
 * @example
 * fetchScript({ url: 'https://example.org/x', dest: '/opt/x' }, { type: 'absent' }, 'web-01')
 */
export function fetchScript(a: DownloadArgs, state: StatResult, host: string): string {
  const want = wantSum(a);
  const hasHeaders = Object.keys(a.headers ?? {}).length > 0;
  const mode = parseMode(a.mode) ?? state.mode ?? 0o644;
  // A replaced file keeps its owner (by id: a uid without a name would make chown fail).
  const owner = a.owner ?? (state.uid !== undefined ? String(state.uid) : undefined);
  const group = a.group ?? (state.gid !== undefined ? String(state.gid) : undefined);
  const chown = owner !== undefined || group !== undefined ? `chown ${quote(`${owner ?? ''}${group !== undefined ? ':' + group : ''}`)} "$tmp" || exit 1\n` : '';
  const say = (text: string) => `echo ${quote(text)} >&2`;
  return [
    `url=${quote(a.url)}; dest=${quote(a.dest)}; dir=${quote(dirOf(a.dest))}`,
    `[ -d "$dir" ] || { ${say(`cannot download to ${a.dest} on ${host}: ${dirOf(a.dest)} is not a directory`)}; exit 1; }`,
    `tmp=$(mktemp "$dir"/${quote(`.${baseOf(a.dest)}.shipshape-XXXXXX`)}) || exit 1; log=''; cfg=''`,
    `trap 'rm -f -- "$tmp" \${log:+"$log"} \${cfg:+"$cfg"}' EXIT; trap 'exit 130' HUP INT TERM`,
    'if command -v curl >/dev/null 2>&1; then',
    // -q first: no ~/.curlrc; no --fail, so the status is known and reported.
    `  status=$(curl -q -sS -L -o "$tmp" -w '%{http_code}' ${hasHeaders ? '-H @- ' : ''}-- "$url") || { ${say(`curl could not fetch ${a.url} (see above)`)}; exit 1; }`,
    'elif command -v wget >/dev/null 2>&1; then',
    `  log=$(mktemp) && cfg=$(mktemp) || exit 1`,
    // Headers go into a private wgetrc (mktemp makes it 0600), not onto wget's command line (seen in ps).
    ...(hasHeaders ? [`  while IFS= read -r h; do printf 'header = %s\\n' "$h"; done > "$cfg"`] : []),
    `  wget --config="$cfg" -q -S -O "$tmp" -- "$url" 2>"$log"; rc=$?`,
    `  status=$(sed -n 's/^ *HTTP\\/[0-9.]* \\([0-9][0-9]*\\).*/\\1/p' "$log" | tail -n 1)`,
    `  if [ -z "$status" ]; then grep -v '^ ' "$log" >&2; echo ${quote(`wget could not fetch ${a.url} (exit code`)} "$rc)" >&2; exit 1; fi`,
    'else',
    `  ${say(`neither curl nor wget is installed on ${host}: cannot download ${a.url}`)}; exit 127`,
    'fi',
    `case "$status" in 2??) ;; *) echo "HTTP status $status from "${quote(a.url)} >&2; exit 22;; esac`,
    ...(want ? [
      `sum=$(sha256sum < "$tmp" | cut -d' ' -f1)`,
      `[ "$sum" = ${want} ] || { echo ${quote(`sha256 mismatch for ${a.url}: expected ${want}, got `)}"$sum (nothing was written to "${quote(a.dest)}")" >&2; exit 1; }`,
    ] : []),
    `chmod ${modeString(mode)} "$tmp" || exit 1`,
    `${chown}mv -f -- "$tmp" "$dest"`,
  ].join('\n');
}

function urlProblems(url: unknown): string[] {
  if (typeof url !== 'string' || url === '') return [`url ${JSON.stringify(url)} must be an http:// or https:// URL`];
  if (/[\s\0]/.test(url)) return [`url ${JSON.stringify(url)} must not contain white space or control characters (percent-encode them)`];
  let u: URL;
  try { u = new URL(url); } catch { return [`url ${JSON.stringify(url)} is not a valid URL`]; }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return [`url ${JSON.stringify(url)} must use http:// or https://, not ${u.protocol}//`];
  if (u.username || u.password) return [`url ${JSON.stringify(`${u.protocol}//***@${u.host}${u.pathname}`)} holds credentials, which would show in output: pass them as a header instead (headers: { Authorization: secret('Basic ...') })`];
  return [];
}

function headerProblems(headers: unknown): string[] {
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers) || isSecret(headers)) return [`headers must be an object of Name: value`];
  const problems: string[] = [];
  for (const [k, v] of Object.entries(headers)) {
    if (!HEADER_NAME.test(k)) problems.push(`header name ${JSON.stringify(k)} is not a valid HTTP header name`);
    if (typeof v !== 'string' && !isSecret(v)) problems.push(`header ${k} must be a string or a secret(), not ${v === null ? 'null' : typeof v}`);
    // The value is not shown: it may be a token.
    else if (/[\r\n\0]/.test(reveal(v))) problems.push(`header ${k} has a value with a CR, LF or NUL character (the value is not shown)`);
  }
  return problems;
}
