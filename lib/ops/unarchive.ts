import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ShipshapeError } from '../errors.js';
import { quote } from '../transport/quote.js';
import { validateAttrs } from './attrs.js';
import { absolutePathProblem, oneOfProblem, parseStat, section, splitSections, statProbe, trimSlashes } from './common.js';
import { localKind } from './local-tree.js';
import type { Action, Change, OpSpec } from './types.js';

export type ArchiveFormat = 'tar' | 'tar.gz' | 'tar.xz' | 'tar.zst' | 'zip';

export interface UnarchiveArgs {
  /**
   * The archive: a local file relative to the deploy file's folder (uploaded next to dest, then
   * removed), or with `remote: true` a path on the host (say, what `download` fetched).
   */
  src: string;
  /** Directory it is extracted into (created when missing, mode 0755). */
  dest: string;
  /** A path on the host whose existence means "already extracted": then nothing is compared. */
  creates?: string;
  /** src is a path on the host. */
  remote?: boolean;
  /** Leading path components removed from every entry (tar's --strip-components; also for zip). */
  stripComponents?: number;
  /** Owner of everything extracted (`chown -R` before it is moved into dest). */
  owner?: string;
  group?: string;
  /** The format, when src's name does not tell (.tar, .tar.gz/.tgz, .tar.xz/.txz, .tar.zst/.tzst, .zip). */
  format?: ArchiveFormat;
}

const FORMATS: readonly ArchiveFormat[] = ['tar', 'tar.gz', 'tar.xz', 'tar.zst', 'zip'];
const EXTENSIONS: [RegExp, ArchiveFormat][] = [
  [/\.(tar\.gz|tgz)$/i, 'tar.gz'], [/\.(tar\.xz|txz)$/i, 'tar.xz'], [/\.(tar\.zst|tar\.zstd|tzst)$/i, 'tar.zst'],
  [/\.tar$/i, 'tar'], [/\.zip$/i, 'zip'],
];
/** The tools each format needs on the host, with the Debian package that has it. */
const TOOLS: Record<ArchiveFormat, [tool: string, pkg: string][]> = {
  'tar': [['tar', 'tar']], 'tar.gz': [['tar', 'tar'], ['gzip', 'gzip']], 'tar.xz': [['tar', 'tar'], ['xz', 'xz-utils']],
  'tar.zst': [['tar', 'tar'], ['zstd', 'zstd']], 'zip': [['unzip', 'unzip']],
};
const TAR_FLAG: Record<ArchiveFormat, string> = { 'tar': '', 'tar.gz': '-z ', 'tar.xz': '-J ', 'tar.zst': '--zstd ', 'zip': '' };

/** The archive's format: the `format` arg, else src's extension. */
export function archiveFormat(a: UnarchiveArgs): ArchiveFormat | undefined {
  return a.format ?? EXTENSIONS.find(([re]) => re.test(a.src))?.[1];
}

/**
 * The marker file inside dest that records which archive was extracted there: named after
 * the archive's identity (local or remote src), holding its sha256 and the strip count, so two
 * archives can share a dest and a changed archive is extracted again.
 *
 * @example
 * markerPath({ src: 'files/site.tgz', dest: '/srv/site' })   // '/srv/site/.shipshape-unarchive-<12 hex>'
 */
export function markerPath(a: UnarchiveArgs): string {
  const id = createHash('sha256').update(`${a.remote ? 'remote' : 'local'}:${a.src}`).digest('hex').slice(0, 12);
  return `${trimSlashes(a.dest) || ''}/.shipshape-unarchive-${id}`;
}

const markerText = (sum: string, a: UnarchiveArgs) => `${sum} strip=${a.stripComponents ?? 0}`;

interface UnarchiveData { sum: string; archive?: Buffer }

/**
 * A tar (plain, gz, xz, zst) or zip archive extracted into a directory, from a local file or
 * (`remote: true`) a file on the host. It is extracted into a temp directory next to dest and
 * then moved in, so a broken archive leaves dest as it was. Without `creates`, a marker file
 * `.shipshape-unarchive-<id>` in dest records the archive's sha256: the same archive is not
 * extracted again, a changed one is (files removed from dest by hand are not noticed).
 *
 * @example
 * host('web-01').unarchive('files/site.tar.gz', '/srv/site', { stripComponents: 1, owner: 'www-data' })
 */
export const unarchiveOp: OpSpec<UnarchiveArgs> = {
  kind: 'unarchive',
  keys: { src: 'string', dest: 'string', creates: 'string', remote: 'boolean', stripComponents: 'number', owner: 'string', group: 'string', format: 'string' },
  describe: (a) => `unarchive ${a.src} → ${a.dest}`,

  validate(a, ctx) {
    const problems = validateAttrs({ owner: a.owner, group: a.group });
    const dp = absolutePathProblem('dest', a.dest);
    if (dp) problems.push(dp);
    else if (trimSlashes(a.dest) === '') problems.push(`dest ${JSON.stringify(a.dest)} must not be / (extract into a directory of its own)`);
    if (a.creates !== undefined) { const cp = absolutePathProblem('creates', a.creates); if (cp) problems.push(cp); }
    if (a.remote !== undefined && typeof a.remote !== 'boolean') problems.push(`remote ${JSON.stringify(a.remote)} must be true or false`);
    const sc = a.stripComponents;
    if (sc !== undefined && (typeof sc !== 'number' || !Number.isInteger(sc) || sc < 0 || sc > 64)) problems.push(`stripComponents ${JSON.stringify(sc)} must be a whole number from 0 to 64`);
    const fp = oneOfProblem('format', a.format, FORMATS);
    if (fp) problems.push(fp);
    if (typeof a.src !== 'string' || a.src === '') return [...problems, `src ${JSON.stringify(a.src)} must name an archive`];
    if (!fp && archiveFormat(a) === undefined) problems.push(`src ${JSON.stringify(a.src)} has no known archive extension (.tar, .tar.gz, .tgz, .tar.xz, .tar.zst, .zip): give format`);
    if (a.remote) {
      const sp = absolutePathProblem('src', a.src);
      if (sp) problems.push(`${sp} on the host (remote: true)`);
    } else {
      const local = resolve(ctx.baseDir, a.src);
      const kind = localKind(local);
      if (kind === 'missing') problems.push(`src ${JSON.stringify(a.src)} does not exist (looked in ${local}; for a file on the host, add remote: true)`);
      else if (kind !== 'file') problems.push(`src ${JSON.stringify(a.src)} is not a regular file (${local})`);
    }
    return problems;
  },

  probe(a) {
    const format = archiveFormat(a) ?? 'tar';
    const tools = TOOLS[format].map(([t]) => t).join(' ');
    return [
      ...(a.creates !== undefined ? [section('creates', `if [ -e ${quote(a.creates)} ] || [ -L ${quote(a.creates)} ]; then echo present; else echo absent; fi`)] : []),
      section('dest', statProbe(trimSlashes(a.dest))),
      section('marker', `cat -- ${quote(markerPath(a))} 2>/dev/null; true`),
      section('markerStat', statProbe(markerPath(a))),
      ...(a.remote ? [section('src', `if [ -f ${quote(a.src)} ]; then sha256sum < ${quote(a.src)} | cut -d' ' -f1; else echo absent; fi`)] : []),
      section('tools', `for t in ${tools}; do command -v "$t" >/dev/null 2>&1 || echo "$t"; done; true`),
    ].join('; ');
  },

  diff(a, probed, ctx) {
    const s = splitSections(probed.stdout);
    if (s.dest === undefined || s.tools === undefined) {
      throw new ShipshapeError(`unarchive ${a.src}: the probe printed something unexpected`, { host: ctx.host, stdout: probed.stdout });
    }
    if ((s.creates ?? '').trim() === 'present') return { changes: [], noop: `${a.creates} exists` };
    const dest = parseStat(s.dest.split('\n')[0] ?? '');
    if (dest.type !== 'absent' && dest.type !== 'directory') {
      throw new ShipshapeError(`${a.dest} exists as a ${dest.type}, not a directory`, { host: ctx.host, fix: 'remove it first or choose another dest' });
    }
    let sum: string;
    let archive: Buffer | undefined;
    if (a.remote) {
      sum = (s.src ?? '').trim();
      if (sum === 'absent' || sum === '') {
        const changes = [{ what: 'extract', before: dest.type === 'absent' ? 'absent' : 'unknown', after: a.src }];
        // In check mode an earlier task (a download) may be what creates it.
        if (ctx.check) return { changes, uncertain: `${a.src} does not exist on ${ctx.host} yet` };
        return { changes, fails: `${a.src} does not exist on ${ctx.host} (remote: true): nothing to extract` };
      }
    } else {
      archive = readFileSync(resolve(ctx.baseDir, a.src));
      sum = createHash('sha256').update(archive).digest('hex');
    }
    const changes: Change[] = [];
    const marker = (s.marker ?? '').trim();
    const want = markerText(sum, a);
    if (marker !== want) {
      changes.push({ what: 'extract', before: dest.type === 'absent' ? 'absent' : marker ? `sha256:${marker.slice(0, 12)}` : 'not extracted', after: `sha256:${sum.slice(0, 12)}` });
    } else {
      // The marker is chowned with what was extracted: a different owner means extract again.
      const m = parseStat((s.markerStat ?? '').split('\n')[0] ?? '');
      if (a.owner !== undefined && m.owner !== a.owner && String(m.uid) !== a.owner) changes.push({ what: 'owner', before: m.owner, after: a.owner });
      if (a.group !== undefined && m.group !== a.group && String(m.gid) !== a.group) changes.push({ what: 'group', before: m.group, after: a.group });
    }
    const format = archiveFormat(a)!;
    const missing = s.tools.split('\n').filter(Boolean);
    const diff = { changes, noop: `${a.src} (sha256:${sum.slice(0, 12)}) is extracted in ${a.dest}`, data: { sum, archive } satisfies UnarchiveData };
    if (changes.length && missing.length) {
      const pkgs = TOOLS[format].filter(([t]) => missing.includes(t)).map(([, p]) => p);
      return { ...diff, fails: `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed on ${ctx.host}: needed to extract ${a.src} (install ${pkgs.join(' ')} first, e.g. apt(${JSON.stringify(pkgs)}))` };
    }
    return diff;
  },

  apply(a, diff, ctx): Action[] {
    const { sum, archive } = diff.data as UnarchiveData;
    const dest = trimSlashes(a.dest);
    const parent = dest.slice(0, dest.lastIndexOf('/')) || '/';
    if (a.remote) return [{ kind: 'exec', command: extractScript(a, a.src, sum, ctx.host, false), failure: `extracting ${a.src} into ${a.dest} failed on ${ctx.host}` }];
    // Uploaded next to dest (same filesystem, no guessable name in /tmp), removed by the script.
    const upload = `${parent === '/' ? '' : parent}/.${dest.slice(dest.lastIndexOf('/') + 1)}.shipshape-archive-${sum.slice(0, 12)}`;
    return [
      { kind: 'exec', command: `mkdir -p -- ${quote(parent)}` },
      { kind: 'put', path: upload, data: archive!, mode: 0o600 },
      { kind: 'exec', command: extractScript(a, upload, sum, ctx.host, true), failure: `extracting ${a.src} into ${a.dest} failed on ${ctx.host}` },
    ];
  },
};

/**
 * The POSIX sh script that extracts `archive` into a temp directory next to dest (stripping
 * leading components), chowns it, moves every entry into dest (a missing dest is renamed into
 * place whole), then writes the marker. `uploaded`: the archive is removed afterwards.
 *
 * @example
 * extractScript({ src: '/tmp/a.tgz', dest: '/srv/a', remote: true }, '/tmp/a.tgz', sum, 'web-01', false)
 */
export function extractScript(a: UnarchiveArgs, archive: string, sum: string, host: string, uploaded: boolean): string {
  const format = archiveFormat(a)!;
  const dest = trimSlashes(a.dest);
  const parent = dest.slice(0, dest.lastIndexOf('/')) || '/';
  const strip = a.stripComponents ?? 0;
  const tools = TOOLS[format].map(([t]) => t);
  const marker = markerPath(a).slice(dest.length + 1);
  const chown = a.owner !== undefined || a.group !== undefined ? quote(`${a.owner ?? ''}${a.group !== undefined ? ':' + a.group : ''}`) : undefined;
  const extract = format === 'zip'
    ? [
      'unzip -q -o -d "$t/raw" "$src" || exit 1',
      // zip has no --strip-components: lift the entries up one level at a time, merging.
      ...(strip > 0 ? [`n=${strip}; while [ "$n" -gt 0 ]; do lift "$t/raw" "$t/up" || exit 1; rm -rf -- "$t/raw"; mv -- "$t/up" "$t/raw" || exit 1; n=$((n - 1)); done`] : []),
      'mv -- "$t/raw" "$t/x" || exit 1',
    ]
    : [`mkdir -- "$t/x" && tar -x ${TAR_FLAG[format]}--no-same-owner -f "$src" -C "$t/x"${strip ? ` --strip-components=${strip}` : ''} || exit 1`];
  return [
    `src=${quote(archive)}; dest=${quote(dest)}; parent=${quote(parent)}`,
    `for tool in ${tools.join(' ')}; do command -v "$tool" >/dev/null 2>&1 || { echo "$tool is not installed on "${quote(host)}": needed to extract "${quote(a.src)} >&2; exit 127; }; done`,
    'mkdir -p -- "$parent" || exit 1',
    `t=$(mktemp -d "$parent"/${quote(`.${dest.slice(dest.lastIndexOf('/') + 1)}.shipshape-XXXXXX`)}) || exit 1`,
    `trap 'rm -rf -- "$t"${uploaded ? ' "$src"' : ''}' EXIT; trap 'exit 130' HUP INT TERM`,
    // Moves $1 to $2; directories that exist on both sides are merged, anything else in the
    // way is replaced (a symlink is never followed).
    'place() {',
    '  if [ -d "$1" ] && [ ! -L "$1" ] && [ -d "$2" ] && [ ! -L "$2" ]; then',
    '    for e in "$1"/* "$1"/.[!.]* "$1"/..?*; do { [ -e "$e" ] || [ -L "$e" ]; } || continue; place "$e" "$2/${e##*/}" || return 1; done',
    '  else',
    '    if [ -L "$2" ] || [ -d "$2" ]; then rm -rf -- "$2" || return 1; fi',
    '    mv -f -- "$1" "$2"',
    '  fi',
    '}',
    // What lies one level below $1 goes into $2 (files at the top are dropped, as tar does).
    'lift() {',
    '  mkdir -- "$2" || return 1',
    '  for d in "$1"/* "$1"/.[!.]* "$1"/..?*; do',
    '    { [ -d "$d" ] && [ ! -L "$d" ]; } || continue',
    '    for e in "$d"/* "$d"/.[!.]* "$d"/..?*; do { [ -e "$e" ] || [ -L "$e" ]; } || continue; place "$e" "$2/${e##*/}" || return 1; done',
    '  done',
    '}',
    ...extract,
    `printf '%s\\n' ${quote(markerText(sum, a))} > "$t/x"/${quote(marker)} || exit 1`,
    ...(chown ? [`chown -R -h ${chown} -- "$t/x" || exit 1`] : []),
    'if [ -e "$dest" ] || [ -L "$dest" ]; then place "$t/x" "$dest" || exit 1',
    'else chmod 0755 "$t/x" && mv -- "$t/x" "$dest" || exit 1; fi',
  ].join('\n');
}
