/** Helpers shared by operations: mode parsing, stat probes, owner checks, probe sections. */
import { quote } from '../transport/quote.js';

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
 * Probe fragment printing `type mode owner group uid gid` of a path (links: `link mode owner
 * group target`), or `absent`.
 *
 * @example
 * (await transport.exec(statProbe('/etc/motd'))).stdout   // 'file 644 root root 0 0\n'
 */
export function statProbe(path: string): string {
  const p = quote(path);
  return `if [ -L ${p} ]; then printf 'link %s %s\\n' "$(stat -c '%a %U %G' ${p})" "$(readlink ${p})"; ` +
    `elif [ -e ${p} ]; then stat -c '%F %a %U %G %u %g' ${p} | sed 's/^regular empty file/file/; s/^regular file/file/'; else echo absent; fi`;
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

/**
 * Parses one line of {@link statProbe} output.
 *
 * @example
 * parseStat('file 644 root root 0 0')   // { type: 'file', mode: 420, owner: 'root', group: 'root', uid: 0, gid: 0 }
 */
export function parseStat(line: string): StatResult {
  const t = line.replace(/\r?\n$/, '');
  if (t.trim() === 'absent' || t.trim() === '') return { type: 'absent' };
  if (t.startsWith('link ')) {
    const m = /^link (\d+) (\S+) (\S+) (.*)$/.exec(t);
    if (!m) return { type: 'other' };
    return { type: 'link', mode: parseInt(m[1]!, 8), owner: m[2], group: m[3], linkTarget: m[4] };
  }
  const m = /^(.*?) (\d+) (\S+) (\S+)(?: (\d+) (\d+))?$/.exec(t.trim());
  if (!m) return { type: 'other' };
  const kind = m[1] === 'file' ? 'file' : m[1] === 'directory' ? 'directory' : 'other';
  const r: StatResult = { type: kind, mode: parseInt(m[2]!, 8), owner: m[3], group: m[4] };
  if (m[5] !== undefined) { r.uid = Number(m[5]); r.gid = Number(m[6]); }
  return r;
}

/** Marker line that starts a named section of a probe's output. */
const MARK = '::shipshape::';

/**
 * Probe fragment printing a section marker; parse the output with {@link splitSections}.
 *
 * @example
 * `${section('group')}; getent group ${quote(name)}`
 */
export function section(name: string): string {
  return `echo ${quote(`${MARK}${name}`)}`;
}

/**
 * Splits probe output into its named sections (see {@link section}). A section's text keeps
 * its lines, without the marker; sections that were not printed are absent.
 *
 * @example
 * splitSections(probed.stdout).group   // 'www:x:1500:\n'
 */
export function splitSections(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  let name: string | undefined;
  let lines: string[] = [];
  const flush = () => { if (name !== undefined) out[name] = lines.join('\n'); };
  for (const line of stdout.split('\n')) {
    if (line.startsWith(MARK)) { flush(); name = line.slice(MARK.length).trim(); lines = []; continue; }
    if (name !== undefined) lines.push(line);
  }
  flush();
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
