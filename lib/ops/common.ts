/** Helpers shared by operations: mode parsing, stat probes, owner checks, probe sections. */
import { quote } from '../transport/quote.js';
import { memoStat } from './probe-memo.js';

/**
 * Accepts 0o644, 420, '0644' or '644' (symbolic modes like 'u=rw,g=r,o=r' are not supported).
 * Returns undefined if invalid, so validation can name the bad value.
 *
 * @example
 * parseMode('0644')   // 420
 */
export function parseMode(mode: number | string | undefined): number | undefined {
  if (mode === undefined) return undefined;
  if (typeof mode === 'number') return Number.isInteger(mode) && mode >= 0 && mode <= 0o7777 ? mode : undefined;
  if (!/^[0-7]{3,4}$/.test(mode)) return undefined;
  return parseInt(mode, 8);
}

/**
 * Whether a mode makes sense as permission bits: the owner can read; group has no bit the
 * owner lacks, others none the group lacks; group and others are not write-only (`-w-`) and,
 * when the owner can execute, cannot write without executing. Special bits are not judged.
 *
 * @example
 * plausibleMode(0o644)   // true
 * plausibleMode(644)     // false: 644 is 0o1204, whose owner can only write
 */
export function plausibleMode(mode: number): boolean {
  const u = (mode >> 6) & 7, g = (mode >> 3) & 7, o = mode & 7;
  if (!(u & 4) || (g & ~u) || (o & ~g)) return false;
  for (const x of [g, o]) {
    if (x === 2) return false;
    if ((u & 1) && (x & 2) && !(x & 1)) return false;
  }
  return true;
}

/**
 * The octal digits a number mode was probably meant as, when it is a decimal typo: its
 * decimal digits are 3 or 4 octal digits, and as bits it is too large or not a
 * {@link plausibleMode}. So 644 (0o1204) is a typo and 420 (0o644) is not.
 *
 * @example
 * decimalModeTypo(755)      // '755'
 * decimalModeTypo(0o755)    // undefined
 */
export function decimalModeTypo(mode: number): string | undefined {
  const digits = String(mode);
  if (!Number.isInteger(mode) || !/^[0-7]{3,4}$/.test(digits)) return undefined;
  return mode > 0o7777 || !plausibleMode(mode) ? digits : undefined;
}

/**
 * A problem sentence when `value` is not a valid mode, or is a decimal number typed where an
 * octal one was meant (`mode: 644` would give the host mode 1204).
 *
 * @example
 * modeProblem('mode', 644)   // "mode 644 is a decimal number: it gives mode 1204 on the host (did you mean 0o644 or '644'?)"
 */
export function modeProblem(label: string, value: unknown, example = '644'): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') {
    const typo = decimalModeTypo(value);
    if (typo !== undefined) {
      const gives = value > 0o7777 ? 'it is too large for a mode' : `it gives mode ${modeString(value)} on the host`;
      return `${label} ${value} is a decimal number: ${gives} (did you mean 0o${typo} or '${typo}'?)`;
    }
  }
  if (typeof value !== 'number' && typeof value !== 'string' || parseMode(value) === undefined) {
    return `${label} ${JSON.stringify(value)} is not a valid mode (use an octal number like 0o${example} or a string like '0${example}')`;
  }
  return undefined;
}

/**
 * A mode as the four octal digits `chmod` takes and diffs show.
 *
 * @example
 * modeString(0o644)   // '0644'
 */
export function modeString(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/**
 * A valid Unix user or group name (or numeric id); checked before a name reaches `chown`
 * or `useradd`.
 *
 * @example
 * isValidName('www-data')   // true
 */
export function isValidName(name: string): boolean {
  return typeof name === 'string' && (/^[a-z_][a-z0-9_.-]*\$?$/i.test(name) && name.length <= 32 || /^\d+$/.test(name));
}

/**
 * A problem sentence when `value` is not an absolute remote path.
 *
 * @example
 * absolutePathProblem('dest', 'etc/x')   // 'dest "etc/x" must be an absolute path'
 */
export function absolutePathProblem(label: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.startsWith('/')) return `${label} ${JSON.stringify(value)} must be an absolute path`;
  if (value.includes('\0') || value.includes('\n')) return `${label} ${JSON.stringify(value)} must not contain a NUL or newline character`;
  return undefined;
}

/**
 * A path without its trailing slashes (a loop: `/\/+$/` is quadratic on a long run of slashes).
 *
 * @example
 * trimSlashes('/opt/venv//')   // '/opt/venv'
 */
export function trimSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path[end - 1] === '/') end--;
  return path.slice(0, end);
}

/**
 * A problem sentence when `value` is not one of `allowed` (undefined is allowed: the default).
 *
 * @example
 * oneOfProblem('state', 'gone', ['present', 'absent'])   // 'state "gone" is not one of present, absent'
 */
export function oneOfProblem(label: string, value: unknown, allowed: readonly string[]): string | undefined {
  if (value === undefined || allowed.includes(value as string)) return undefined;
  return `${label} ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`;
}

/**
 * Probe fragment printing `type mode owner group uid gid` of a path (stat's `%F` type, like
 * `regular file` or `directory`; links: `link mode owner group <target as base64>`: a target
 * may hold newlines or marker text), or `absent`.
 *
 * @example
 * (await transport.exec(statProbe('/etc/motd'))).stdout   // 'regular file 644 root root 0 0\n'
 */
export function statProbe(path: string): string {
  const p = quote(path);
  return `if [ -L ${p} ]; then printf 'link %s %s\\n' "$(stat -c '%a %U %G' ${p})" "$(readlink -n ${p} | base64 -w0)"; ` +
    `elif [ -e ${p} ]; then ${memoStat(path)}; else echo absent; fi`;
}

export interface StatResult {
  type: 'file' | 'directory' | 'link' | 'absent' | 'other';
  mode?: number;
  owner?: string;
  group?: string;
  uid?: number;
  gid?: number;
  linkTarget?: string;
}

const DIGITS = /^\d+$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes base64 that a probe printed; undefined when it is not base64 (then the output was
 * not what the probe prints).
 *
 * @example
 * fromBase64('L2V0Yy9tb3Rk')   // Buffer '/etc/motd'
 */
export function fromBase64(text: string): Buffer | undefined {
  const t = text.trim();
  return BASE64.test(t) && t.length % 4 === 0 ? Buffer.from(t, 'base64') : undefined;
}

/**
 * Parses one line of {@link statProbe} output.
 *
 * @example
 * parseStat('file 644 root root 0 0')   // { type: 'file', mode: 420, owner: 'root', group: 'root', uid: 0, gid: 0 }
 */
export function parseStat(line: string): StatResult {
  const t = line.endsWith('\n') ? line.slice(0, line.endsWith('\r\n') ? -2 : -1) : line;
  if (t.trim() === 'absent' || t.trim() === '') return { type: 'absent' };
  // Fields split on spaces, not a regexp with a lazy `(.*?)`: the type is what is left of the numbers.
  const f = t.trim().split(' ');
  if (f[0] === 'link') {
    const target = f.length === 5 && DIGITS.test(f[1]!) ? fromBase64(f[4]!) : undefined;
    if (target === undefined) return { type: 'other' };
    return { type: 'link', mode: parseInt(f[1]!, 8), owner: f[2], group: f[3], linkTarget: target.toString('utf8') };
  }
  const n = f.length;
  const withIds = n >= 6 && DIGITS.test(f[n - 5]!) && DIGITS.test(f[n - 2]!) && DIGITS.test(f[n - 1]!);
  const at = withIds ? n - 5 : n - 3;
  if (at < 1 || !DIGITS.test(f[at]!) || f.some((x) => x === '')) return { type: 'other' };
  const type = f.slice(0, at).join(' ');
  // stat's %F: `regular file` / `regular empty file` (older probes printed `file`).
  const kind = type === 'file' || type === 'regular file' || type === 'regular empty file' ? 'file' : type === 'directory' ? 'directory' : 'other';
  const r: StatResult = { type: kind, mode: parseInt(f[at]!, 8), owner: f[at + 1], group: f[at + 2] };
  if (withIds) { r.uid = Number(f[n - 2]); r.gid = Number(f[n - 1]); }
  return r;
}

/** Marker line that starts a named section of a probe's output. */
const MARK = '::shipshape::';

/**
 * Probe fragment printing a named section: a marker line, then what `script` prints as one
 * line of base64, so no output (a file's content, a link target) can pose as another section.
 * Parse the output with {@link splitSections}. The script runs in a subshell (a pipeline).
 *
 * @example
 * section('group', `getent group ${quote(name)}`)
 */
export function section(name: string, script: string): string {
  return `echo ${quote(`${MARK}${name}`)}; { ${script}\n} | base64 -w0; echo`;
}

/**
 * Splits probe output into its named sections (see {@link section}), decoded; sections that
 * were not printed are absent. Markers are read in order, each from the line after the last
 * section; a section whose body is not base64 is left out, and a name seen twice keeps the
 * first.
 *
 * @example
 * splitSections(probed.stdout).group   // 'www:x:1500:\n'
 */
export function splitSections(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.startsWith(MARK)) continue;
    const name = line.slice(MARK.length).trim();
    const body = i + 1 < lines.length ? fromBase64(lines[i + 1]!) : undefined;
    if (body === undefined) continue;
    if (!Object.hasOwn(out, name)) out[name] = body.toString('utf8');
    i++;
  }
  return out;
}

/**
 * The sh word list `a b c` of `items`, each quoted.
 *
 * @example
 * `sha256sum -- ${words(['app.py', "it's"])}`   // sha256sum -- app.py 'it'\''s'
 */
export function words(items: readonly string[]): string {
  return items.map((i) => quote(i)).join(' ');
}
