import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ShipshapeError } from '../errors.js';
import { quote } from '../transport/quote.js';
import { ATTR_KEYS, attrActions, attrChanges, chained, validateAttrs, type Attrs } from './attrs.js';
import { absolutePathProblem, modeProblem, modeString, parseMode, parseStat, section, splitSections, statProbe, trimSlashes, words, type StatResult } from './common.js';
import { contentChange, INLINE_LIMIT, sha256 } from './content.js';
import { defaultFileMode, localKind, localTree, type LocalEntry } from './local-tree.js';
import type { Action, Change, Diff, OpContext, OpSpec } from './types.js';

export interface SyncArgs extends Attrs {
  /** A local directory, relative to the deploy file's folder; its content goes into `dest`. */
  src: string;
  /** The directory on the host mirrored from it (created when missing). */
  dest: string;
  /** Remove what is on the host but not in src (files, links, and the directories that held only them). */
  delete?: boolean;
  /**
   * Globs, relative to src, of paths neither uploaded nor compared nor deleted. `*` and `?` stay
   * within a name, `**` crosses folders; a glob without `/` matches a name at any depth (`*.log`),
   * one with `/` matches from src (`cache/*`); a trailing `/` matches directories only. What a
   * matched directory holds is excluded with it.
   */
  exclude?: string[];
  /** Mode of the files sync uploads or finds (default: kept, 0755/0644 by the local x bit for new ones). */
  mode?: number | string;
  /** Mode of the directories (default: 0755 for new ones, existing ones kept). */
  dirMode?: number | string;
}

/**
 * Up to this many files to upload (and {@link SMALL_LIST} paths to create, remove or fix) go as
 * single atomic puts and plain commands; more go as ONE tar stream on one exec's stdin.
 */
export const PUT_LIMIT = 3;
const SMALL_LIST = 64;

interface Upload { rel: string; content: Buffer; mode: number; mtime: number }
interface SyncPlan {
  root: boolean;
  remove: { rel: string; dir: boolean }[];
  mkdirs: string[];
  uploads: Upload[];
  /** Owner, group or mode of something already right in content. */
  fixes: { rel: string; dir: boolean; changes: Change[] }[];
}

/**
 * A local directory mirrored to the host: files compared by sha256, new and changed ones
 * uploaded (each renamed into place whole, never half-written), with `delete: true` what left
 * the source is removed. Symlinks in src are followed (what they point to is uploaded); a
 * symlink on the host is replaced by the file or directory src has there.
 *
 * @example
 * host('web-01').sync('site', '/srv/site', { delete: true, exclude: ['*.tmp'], owner: 'www-data' })
 */
export const syncOp: OpSpec<SyncArgs> = {
  kind: 'sync',
  keys: { ...ATTR_KEYS, src: 'string', dest: 'string', delete: 'boolean', exclude: 'string[]', dirMode: 'mode' },
  describe: (a) => `sync ${a.src} → ${a.dest}`,

  validate(a, ctx) {
    const problems = validateAttrs(a);
    const dp = absolutePathProblem('dest', a.dest);
    if (dp) problems.push(dp);
    else if (trimSlashes(a.dest) === '') problems.push('dest "/" cannot be synced: name the directory to mirror into');
    const mp = modeProblem('dirMode', a.dirMode, '755');
    if (mp) problems.push(mp);
    if (a.delete !== undefined && typeof a.delete !== 'boolean') problems.push(`delete ${JSON.stringify(a.delete)} must be true or false`);
    for (const g of a.exclude ?? []) {
      if (typeof g !== 'string' || trimSlashes(g.replace(/^\/+/, '')) === '' || /[\n\0]/.test(g) || g.split('/').includes('..')) {
        problems.push(`exclude ${JSON.stringify(g)} must be a glob relative to src, like '*.tmp' or 'cache/'`);
      }
    }
    if (typeof a.src !== 'string' || a.src === '') return [...problems, `src ${JSON.stringify(a.src)} must name a local directory`];
    const local = resolve(ctx.baseDir, a.src);
    const kind = localKind(local);
    if (kind === 'missing') problems.push(`src ${JSON.stringify(a.src)} does not exist (looked in ${local})`);
    else if (kind !== 'directory') problems.push(`src ${JSON.stringify(a.src)} is not a directory (${local}): sync mirrors a directory, copy uploads a file`);
    else {
      try {
        const bad = localTree(local).filter((e) => e.rel.includes('\n'));
        if (bad.length) problems.push(`src ${JSON.stringify(a.src)} holds names with a newline, which cannot be synced: ${bad.map((e) => JSON.stringify(e.rel)).join(', ')}`);
      } catch (e) {
        problems.push(`src ${JSON.stringify(a.src)} cannot be read: ${(e as Error).message}`);
      }
    }
    return problems;
  },

  // Lists dest's whole tree (find) and hashes its files: a size that does not grow with src,
  // so it fits one command line. Excluded names are pruned (printed, never entered or hashed).
  probe(a) {
    const d = quote(trimSlashes(a.dest));
    const prune = pruneExpr(a.exclude ?? []);
    const fmt = quote('%y|%m|%u|%g|%U|%G|%P\\0');
    const list = prune ? `find . -mindepth 1 ${prune} -prune -printf ${fmt} -o -printf ${fmt}` : `find . -mindepth 1 -printf ${fmt}`;
    const sums = `find . -mindepth 1 ${prune ? `${prune} -prune -o ` : ''}-type f -exec sha256sum -- {} +`;
    return `${section('root', statProbe(trimSlashes(a.dest)))}; if [ -d ${d} ] && cd ${d}; then ${section('list', list)}; ${section('sums', sums)}; fi`;
  },

  diff(a, probed, ctx) {
    const s = splitSections(probed.stdout);
    if (s.root === undefined) throw new ShipshapeError(`sync ${a.dest}: the probe printed nothing it could read`, { host: ctx.host, stdout: probed.stdout });
    return syncDiff(a, parseStat(s.root.split('\n')[0] ?? ''), parseList(s.list), parseSums(s.sums), ctx);
  },

  apply(a, diff) {
    const plan = diff.data as SyncPlan;
    const small = plan.uploads.length <= PUT_LIMIT && plan.remove.length + plan.mkdirs.length + plan.fixes.length <= SMALL_LIST;
    return small ? plainActions(a, plan) : archiveActions(a, plan);
  },
};

/** The glob as a RegExp over `/`-separated paths: `*`/`?`/`[...]` within a name, `**` across. */
export function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) re += escapeRe(glob[++i]!);
    else if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') { i++; re += '(?:.*/)?'; } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[' && glob.indexOf(']', i + 2) > 0) {
      const end = glob.indexOf(']', i + 2);
      const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
      re += `[${body.startsWith('!') ? '^' + body.slice(1) : body}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

interface Exclude { re: RegExp; name: boolean; dirOnly: boolean }

function compile(globs: string[]): Exclude[] {
  return globs.map((g) => {
    const anchored = g.startsWith('/');
    const p = trimSlashes(g.replace(/^\/+/, ''));
    return { re: globRegExp(p), name: !anchored && !p.includes('/'), dirOnly: g.endsWith('/') };
  });
}

/** Whether `rel` (or a directory above it) is excluded. */
export function isExcluded(rel: string, isDir: boolean, globs: string[] | Exclude[]): boolean {
  const ex = globs.length && typeof globs[0] === 'string' ? compile(globs as string[]) : globs as Exclude[];
  if (!ex.length) return false;
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const dir = i < parts.length || isDir;
    const prefix = parts.slice(0, i).join('/');
    if (ex.some((e) => (!e.dirOnly || dir) && e.re.test(e.name ? parts[i - 1]! : prefix))) return true;
  }
  return false;
}

/** find's `\( -name a -o ... \)` for name globs it matches exactly as {@link isExcluded} does (`*` only). */
function pruneExpr(globs: string[]): string {
  const names = compile(globs).map((e, i) => ({ e, g: trimSlashes(globs[i]!) }))
    .filter(({ e, g }) => e.name && /^[A-Za-z0-9._*@%+=:,~ -]+$/.test(g))
    .map(({ e, g }) => `${e.dirOnly ? '-type d ' : ''}-name ${quote(g)}`);
  return names.length ? `\\( ${names.join(' -o ')} \\)` : '';
}

function parseList(text: string | undefined): Map<string, StatResult> {
  const out = new Map<string, StatResult>();
  for (const rec of (text ?? '').split('\0')) {
    const f = rec.split('|');
    if (f.length < 7 || f[6] === '') continue;
    const kind = f[0]!;
    const type = kind === 'f' ? 'file' : kind === 'd' ? 'directory' : kind === 'l' ? 'link' : 'other';
    out.set(f.slice(6).join('|'), { type, mode: parseInt(f[1]!, 8), owner: f[2], group: f[3], uid: Number(f[4]), gid: Number(f[5]) });
  }
  return out;
}

/** sha256sum lines `<sum>  ./rel`; a name with `\` or a newline comes escaped, the line led by `\`. */
function parseSums(text: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\\?)([0-9a-f]{64}) [ *]\.\/(.*)$/.exec(line);
    if (!m) continue;
    const name = m[1] ? m[3]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c)) : m[3]!;
    out.set(name, m[2]!);
  }
  return out;
}

function syncDiff(a: SyncArgs, root: StatResult, remote: Map<string, StatResult>, sums: Map<string, string>, ctx: OpContext): Diff {
  const dest = trimSlashes(a.dest);
  const ex = compile(a.exclude ?? []);
  const local = localTree(resolve(ctx.baseDir, a.src)).filter((e) => !isExcluded(e.rel, e.type === 'directory', ex));
  const wanted = new Map(local.map((e) => [e.rel, e]));
  const dirAttrs: Attrs = { owner: a.owner, group: a.group, mode: a.dirMode };
  const changes: Change[] = [];
  const plan: SyncPlan = { root: false, remove: [], mkdirs: [], uploads: [], fixes: [] };
  const fail = (msg: string) => new ShipshapeError(msg, { host: ctx.host, fix: 'remove it on the host, or sync with delete: true' });

  if (root.type === 'absent') {
    changes.push({ what: 'state', before: 'absent', after: 'directory' });
    plan.root = true;
  } else if (root.type === 'directory') {
    fixAttrs(changes, plan, '', dirAttrs, root, true);
  } else if (root.type !== 'link')  throw new ShipshapeError(`${dest} exists as a ${root.type}, not a directory`, { host: ctx.host, fix: 'remove it first or choose another dest' });

  // What the host has that src does not (and exclude leaves alone); a directory goes only when
  // nothing kept is inside it.
  const stale = [...remote].filter(([rel, r]) => !isExcluded(rel, r.type === 'directory', ex) && wanted.get(rel)?.type !== (r.type === 'directory' ? 'directory' : 'file'));
  const staleSet = new Set(stale.map(([rel]) => rel));
  const holdsKept = new Set<string>();
  for (const rel of remote.keys()) {
    if (staleSet.has(rel)) continue;
    for (let i = rel.indexOf('/'); i > 0; i = rel.indexOf('/', i + 1)) holdsKept.add(rel.slice(0, i));
  }
  const keptBelow = (dir: string) => holdsKept.has(dir);
  const removable = new Set<string>();
  for (const [rel, r] of stale) {
    const conflict = wanted.has(rel);
    if (!a.delete && !(conflict && r.type !== 'directory')) {
      if (conflict) throw fail(`${dest}/${rel} is a directory on the host, where ${a.src} has a file`);
      continue;
    }
    if (r.type === 'directory' && keptBelow(rel)) {
      if (conflict) throw fail(`${dest}/${rel} is a directory on the host that holds excluded files, where ${a.src} has a file`);
      continue;
    }
    // A link or file in the way of a file is replaced by the upload's rename: no removal.
    if (wanted.get(rel)?.type === 'file' && r.type !== 'directory') continue;
    removable.add(rel);
  }
  // files first, then directories deepest first: each is empty when its turn comes
  const rm = [...removable].map((rel) => ({ rel, dir: remote.get(rel)!.type === 'directory' }));
  plan.remove = [...rm.filter((r) => !r.dir), ...rm.filter((r) => r.dir).sort((x, y) => y.rel.split('/').length - x.rel.split('/').length)];

  for (const e of local) {
    const cur = remote.get(e.rel);
    if (e.type === 'directory') {
      if (cur?.type === 'directory') fixAttrs(changes, plan, e.rel, dirAttrs, cur, true);
      else {
        changes.push({ what: `+ ${e.rel}/`, before: cur?.type ?? 'absent', after: 'directory' });
        plan.mkdirs.push(e.rel);
      }
      continue;
    }
    const content = readFileSync(e.abs);
    const isFile = cur?.type === 'file';
    const c = contentChange(`${dest}/${e.rel}`, content, isFile ? { stat: cur!, sha256: sums.get(e.rel) } : { stat: { type: 'absent' } });
    if (!c) { fixAttrs(changes, plan, e.rel, a, cur!, false); continue; }
    const { content: shown, ...rest } = c;
    changes.push({ ...rest, what: `${cur ? '~' : '+'} ${e.rel}`, before: isFile ? c.before : cur?.type ?? 'absent', ...(content.length <= INLINE_LIMIT ? { content: shown } : {}) });
    plan.uploads.push(upload(a, e, content, isFile ? cur!.mode : undefined));
  }
  for (const [rel, r] of stale.sort(([x], [y]) => (x < y ? -1 : 1))) {
    if (removable.has(rel) && !wanted.has(rel)) changes.push({ what: `- ${rel}${r.type === 'directory' ? '/' : ''}`, before: r.type, after: 'absent' });
  }
  const where = a.delete ? 'nothing else' : 'files only on the host are left alone';
  return { changes, data: plan, noop: `${dest} holds every file of ${a.src} with the same content, owner and mode (${where})` };
}

function upload(a: SyncArgs, e: LocalEntry, content: Buffer, curMode: number | undefined): Upload {
  return { rel: e.rel, content, mode: parseMode(a.mode) ?? curMode ?? defaultFileMode(e.mode), mtime: Math.floor(statSync(e.abs).mtimeMs / 1000) };
}

function fixAttrs(changes: Change[], plan: SyncPlan, rel: string, want: Attrs, cur: StatResult, dir: boolean): void {
  const c = attrChanges(want, cur);
  if (!c.length) return;
  changes.push(...c.map((x) => ({ ...x, what: rel ? `${x.what} ${rel}${dir ? '/' : ''}` : x.what })));
  plan.fixes.push({ rel, dir, changes: c });
}

const ownerSpec = (a: Attrs) => a.owner !== undefined || a.group !== undefined ? `${a.owner ?? ''}${a.group !== undefined ? ':' + a.group : ''}` : undefined;
const dirModeOf = (a: SyncArgs) => modeString(parseMode(a.dirMode) ?? 0o755);

function plainActions(a: SyncArgs, p: SyncPlan): Action[] {
  const dest = trimSlashes(a.dest);
  const at = (rel: string) => rel ? `${dest}/${rel}` : dest;
  const own = ownerSpec(a);
  const out: Action[] = [];
  // Removals first: a file or directory in the way of what src has there goes before mkdir and puts.
  const files = p.remove.filter((r) => !r.dir).map((r) => at(r.rel));
  const empty = p.remove.filter((r) => r.dir).map((r) => at(r.rel));
  const rm = [...(files.length ? [`rm -f -- ${words(files)}`] : []), ...(empty.length ? [`rmdir -- ${words(empty)}`] : [])];
  out.push(...chained(rm));
  const dirs = [...(p.root ? [dest] : []), ...p.mkdirs.map(at)];
  if (dirs.length) {
    out.push({ kind: 'exec', command: `mkdir -p -m ${dirModeOf(a)} -- ${words(dirs)}` });
    if (own) out.push({ kind: 'exec', command: `chown -h ${quote(own)} -- ${words(dirs)}` });
  }
  for (const u of p.uploads) out.push({ kind: 'put', path: at(u.rel), data: u.content, mode: u.mode, owner: a.owner, group: a.group });
  for (const f of p.fixes) out.push(...attrActions(at(f.rel), f.dir ? { owner: a.owner, group: a.group, mode: a.dirMode } : a, f.changes, f.rel !== ''));
  return out;
}

/**
 * The archive path: one exec whose stdin is a tar of the files (under `f/`) and NUL-separated
 * lists (under `.shipshape/`). It extracts into a temp folder inside dest, checks every sha256,
 * and only then changes dest: mkdir, then each file renamed over its path, then removals and
 * attribute fixes. A failure or a signal leaves dest's files whole (the trap removes the temp folder).
 */
function archiveActions(a: SyncArgs, p: SyncPlan): Action[] {
  const dest = trimSlashes(a.dest);
  const own = ownerSpec(a);
  const nul = (items: string[]) => Buffer.from(items.map((x) => `${x}\0`).join(''));
  const tar = tarArchive([
    { name: '.shipshape/sums', data: Buffer.from(p.uploads.map((u) => `${sha256(u.content)}  ${u.rel}\n`).join('')), mode: 0o600 },
    { name: '.shipshape/files', data: nul(p.uploads.map((u) => u.rel)), mode: 0o600 },
    { name: '.shipshape/mkdir', data: nul(p.mkdirs), mode: 0o600 },
    { name: '.shipshape/rm', data: nul(p.remove.filter((r) => !r.dir).map((r) => r.rel)), mode: 0o600 },
    { name: '.shipshape/rmdir', data: nul(p.remove.filter((r) => r.dir).map((r) => r.rel)), mode: 0o600 },
    { name: '.shipshape/chown', data: nul(p.fixes.filter((f) => f.changes.some((c) => c.what !== 'mode')).map((f) => f.rel || '.')), mode: 0o600 },
    { name: '.shipshape/chmod-f', data: nul(p.fixes.filter((f) => !f.dir && f.changes.some((c) => c.what === 'mode')).map((f) => f.rel)), mode: 0o600 },
    { name: '.shipshape/chmod-d', data: nul(p.fixes.filter((f) => f.dir && f.changes.some((c) => c.what === 'mode')).map((f) => f.rel || '.')), mode: 0o600 },
    ...p.uploads.map((u) => ({ name: `f/${u.rel}`, data: u.content, mode: u.mode, mtime: u.mtime })),
  ]);
  const x = (list: string, cmd: string) => `xargs -0 -r ${cmd} < "$s/.shipshape/${list}"`;
  const script = [
    'set -e', 'umask 077',
    `d=${quote(dest)}`,
    ...(p.root ? [`mkdir -p -m ${dirModeOf(a)} -- "$d"`, ...(own ? [`chown -h ${quote(own)} -- "$d"`] : [])] : []),
    's=', `trap '[ -z "$s" ] || rm -rf -- "$s"' EXIT`, "trap 'exit 129' HUP", "trap 'exit 130' INT", "trap 'exit 141' PIPE", "trap 'exit 143' TERM",
    's=$(mktemp -d "$d/.shipshape-sync.XXXXXXXX")',
    'tar -x -p --no-same-owner -f - -C "$s"',
    '(cd "$s/f" 2>/dev/null || exit 0; sha256sum -c --quiet --strict "$s/.shipshape/sums") || { echo "shipshape: the archive arrived cut short or corrupted; $d left as it was" >&2; exit 1; }',
    ...(own ? [`[ ! -d "$s/f" ] || chown -R ${quote(own)} -- "$s/f"`] : []),
    'cd "$d"',
    // removals first: what is in the way of a file or directory of src goes before it comes
    x('rm', 'rm -f --'), x('rmdir', 'rmdir --'),
    x('mkdir', `mkdir -p -m ${dirModeOf(a)} --`),
    ...(own ? [x('mkdir', `chown -h ${quote(own)} --`)] : []),
    `xargs -0 -r sh -c 's=$1; shift; for p; do mv -fT -- "$s/f/$p" "$p" || exit 255; done' sh "$s" < "$s/.shipshape/files"`,
    ...(own ? [x('chown', `chown -h ${quote(own)} --`)] : []),
    ...(parseMode(a.mode) !== undefined ? [x('chmod-f', `chmod ${modeString(parseMode(a.mode)!)} --`)] : []),
    ...(parseMode(a.dirMode) !== undefined ? [x('chmod-d', `chmod ${modeString(parseMode(a.dirMode)!)} --`)] : []),
  ].join('\n');
  return [{ kind: 'exec', command: script, stdin: tar, shown: `sync: extract a tar of ${p.uploads.length} files into ${dest}`, failure: `sync into ${dest} failed` }];
}

interface TarEntry { name: string; data: Buffer; mode: number; mtime?: number }

/** A ustar archive of regular files; a name too long or not ASCII goes in a pax header. */
export function tarArchive(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  const pad = (b: Buffer) => b.length % 512 ? Buffer.concat([b, Buffer.alloc(512 - (b.length % 512))]) : b;
  const header = (name: string, size: number, mode: number, mtime: number, type: string) => {
    const h = Buffer.alloc(512);
    const put = (s: string, at: number, len: number) => h.write(s, at, len, 'latin1');
    const oct = (n: number, at: number, len: number) => put(n.toString(8).padStart(len - 1, '0') + '\0', at, len);
    put(name, 0, 100); oct(mode, 100, 8); oct(0, 108, 8); oct(0, 116, 8); oct(size, 124, 12); oct(mtime, 136, 12);
    put('        ', 148, 8); put(type, 156, 1); put('ustar\0' + '00', 257, 8); put('root', 265, 32); put('root', 297, 32);
    let sum = 0;
    for (const byte of h) sum += byte;
    put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
    return h;
  };
  for (const e of entries) {
    const mtime = e.mtime ?? 0;
    if (Buffer.byteLength(e.name) > 99 || /[^\x20-\x7e]/.test(e.name)) {
      const body = ` path=${e.name}\n`;
      const base = Buffer.byteLength(body);
      let len = base + 1;
      while (base + String(len).length !== len) len = base + String(len).length;
      const rec = Buffer.from(`${len}${body}`);
      blocks.push(header('././@PaxHeader', rec.length, 0o644, mtime, 'x'), pad(rec));
    }
    blocks.push(header(e.name.replace(/[^\x20-\x7e]/g, '_').slice(0, 99), e.data.length, e.mode, mtime, '0'), pad(e.data));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
