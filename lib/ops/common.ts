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
