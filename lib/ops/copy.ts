import { readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { ShipshapeError } from '../errors.js';
import { registerSecretContent } from '../secret.js';
import { quote } from '../transport/quote.js';
import { ATTR_KEYS, attrActions, attrChanges, validateAttrs, type Attrs } from './attrs.js';
import { absolutePathProblem, modeProblem, modeString, parseMode, parseStat, section, splitSections, statProbe, trimSlashes, words, type StatResult } from './common.js';
import { contentChange, contentProbe, fileActions, fileChanges, parseContentProbe, smallFileSha, type PutData } from './content.js';
import { defaultFileMode, localKind, localTree, type LocalEntry } from './local-tree.js';
import type { Action, Change, Diff, OpContext, OpSpec, ProbeContext } from './types.js';

export interface CopyArgs extends Attrs {
  /**
   * A local file or directory, relative to the deploy file's folder. A directory is mirrored:
   * its content goes into `dest`, only changed files are uploaded, and files that exist only
   * on the host are left alone.
   */
  src: string;
  /**
   * Where it goes on the host. For a file src, an existing directory (or a path ending in
   * `/`) receives the file under its own name, as Ansible does.
   */
  dest: string;
  /** Mode of the directories a directory copy creates or manages (default 0755 for new ones). */
  dirMode?: number | string;
  /** The content is secret: never shown in diffs or reports, and masked wherever it shows up. */
  secret?: boolean;
}


interface DirPlan {
  mkdirs: string[];
  puts: Action[];
  fixes: Action[];
}

/**
 * A local file or directory copied to the host, compared by sha256 so only what differs is
 * uploaded (atomically). New files get 0755 when the local file is executable, else 0644,
 * unless `mode` says otherwise.
 *
 * @example
 * host('web-01').copy('code/app.py', '/opt/webapp/app.py', { owner: 'vagrant', mode: 0o644 })
 */
export const copyOp: OpSpec<CopyArgs> = {
  kind: 'copy',
  keys: { ...ATTR_KEYS, src: 'string', dest: 'string', dirMode: 'mode', secret: 'boolean' },
  describe: (a) => `copy ${a.src} → ${a.dest}`,

  validate(a, ctx) {
    const problems = validateAttrs(a);
    const dp = absolutePathProblem('dest', a.dest);
    if (dp) problems.push(dp);
    const mp = modeProblem('dirMode', a.dirMode, '755');
    if (mp) problems.push(mp);
    if (typeof a.src !== 'string' || a.src === '') return [...problems, `src ${JSON.stringify(a.src)} must name a local file or directory`];
    const local = resolve(ctx.baseDir, a.src);
    const kind = localKind(local);
    if (kind === 'missing') problems.push(`src ${JSON.stringify(a.src)} does not exist (looked in ${local})`);
    else if (kind === 'other') problems.push(`src ${JSON.stringify(a.src)} is not a regular file or directory (${local})`);
    else if (kind === 'directory') {
      try {
        const bad = localTree(local).filter((e) => /[\n\\]/.test(e.rel));
        if (bad.length) problems.push(`src ${JSON.stringify(a.src)} holds names with a newline or backslash, which cannot be copied: ${bad.map((e) => JSON.stringify(e.rel)).join(', ')}`);
      } catch (e) {
        problems.push(`src ${JSON.stringify(a.src)} cannot be read: ${(e as Error).message}`);
      }
    }
    return problems;
  },

  // The probe depends on what src is locally: one file's state, or the state of exactly the
  // paths a directory copy would write (never the whole remote tree).
  // dest may be a folder that receives the file, or the root of a mirrored tree.
  footprint: (a) => [{ path: a.dest, subtree: true }],
  // The paths the file probe below reads (a directory copy reads its tree with one stat already).
  probePaths(a, ctx) {
    try {
      if (localKind(resolve(ctx.baseDir, a.src)) === 'directory') return {};
    } catch { /* validate reported it */ }
    const paths = a.dest.endsWith('/') ? [intoPath(a)] : [intoPath(a), a.dest];
    return { stat: paths, sum: paths };
  },

  probe(a, ctx?: ProbeContext) {
    const local = resolve(ctx?.baseDir ?? process.cwd(), a.src);
    try {
      if (localKind(local) === 'directory') return dirProbe(a.dest, localTree(local));
    } catch { /* validate reported it; the file probe is harmless */ }
    // A small file's sha256 goes with the probe (never a secret's: the script shows in `ps`):
    // a copy that has it sends no content back.
    const wanted = a.secret ? undefined : smallFileSha(local);
    if (a.dest.endsWith('/')) return section('copy-file', `echo into; ${contentProbe(intoPath(a), undefined, wanted)}`);
    const d = quote(a.dest);
    return section('copy-file', `if [ -d ${d} ]; then echo into; ${contentProbe(intoPath(a), undefined, wanted)}; ` +
      `else echo at; ${contentProbe(a.dest, undefined, wanted)}; fi`);
  },

  diff(a, probed, ctx) {
    const local = resolve(ctx.baseDir, a.src);
    const kind = localKind(local);
    const s = splitSections(probed.stdout);
    const mismatch = () => new ShipshapeError(`copy ${a.src}: the probe did not match the local ${kind} ${local}`, {
      host: ctx.host, fix: 'the probe ran without the deploy file\'s folder; pass { baseDir } to copyOp.probe',
    });
    if (kind === 'directory') {
      if (s['copy-dir'] === undefined) throw mismatch();
      return dirDiff(a, local, s, ctx);
    }
    if (kind !== 'file') throw new ShipshapeError(`src ${a.src} is not a local file or directory (looked in ${local})`, { host: ctx.host });
    if (s['copy-file'] === undefined) throw mismatch();
    const [where = 'at', ...rest] = s['copy-file'].split('\n');
    const path = where === 'into' ? intoPath(a) : a.dest;
    const state = parseContentProbe(rest.join('\n'));
    const content = readFileSync(local);
    if (a.secret) registerSecretContent(content);
    const changes = fileChanges(path, content, state, a, ctx.host, a.secret === true);
    const data: PutData & { defaultMode: number } = { path, content, state, defaultMode: defaultFileMode(statSync(local).mode) };
    return { changes, data, noop: `${path} has the same content, owner and mode` };
  },

  apply(a, diff) {
    const d = diff.data as (PutData & { defaultMode: number }) | DirPlan;
    if ('mkdirs' in d) return [...(d.mkdirs.length ? mkdirActions(a, d.mkdirs) : []), ...d.puts, ...d.fixes];
    return fileActions(d, a, diff.changes, d.defaultMode);
  },
};

/** Where a file copy lands when dest is a folder (or ends with `/`): the probe, its paths and the diff spell it alike. */
const intoPath = (a: CopyArgs) => `${a.dest.replace(/\/$/, '')}/${basename(a.src)}`;

/** Probe of a directory copy: the root's stat, then stat and sha256 of every path src holds. */
function dirProbe(dest: string, tree: LocalEntry[]): string {
  const rels = tree.map((e) => e.rel);
  const files = tree.filter((e) => e.type === 'file').map((e) => e.rel);
  const inner = [
    ...(rels.length ? [section('stat', `stat -c '%F|%a|%U|%G|%u|%g|%n' -- ${words(rels)} 2>/dev/null`)] : []),
    ...(files.length ? [section('sums', `sha256sum -- ${words(files)} 2>/dev/null`)] : []),
  ];
  const d = quote(dest);
  return section('copy-dir', statProbe(dest)) + (inner.length ? `; if [ -d ${d} ] && cd ${d}; then ${inner.join('; ')}; fi` : '');
}

function parseEntries(text: string | undefined): Map<string, StatResult> {
  const out = new Map<string, StatResult>();
  for (const line of (text ?? '').split('\n')) {
    const f = line.split('|');
    if (f.length < 7) continue;
    const type = f[0]!.startsWith('regular') ? 'file' : f[0] === 'directory' ? 'directory' : f[0] === 'symbolic link' ? 'link' : 'other';
    out.set(f.slice(6).join('|'), { type, mode: parseInt(f[1]!, 8), owner: f[2], group: f[3], uid: Number(f[4]), gid: Number(f[5]) });
  }
  return out;
}

function parseSums(text: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (text ?? '').split('\n')) {
    const m = /^([0-9a-f]{64}) [ *](.*)$/.exec(line);
    if (m) out.set(m[2]!, m[1]!);
  }
  return out;
}

const label = (changes: Change[], rel: string): Change[] => changes.map((c) => ({ ...c, what: `${c.what} ${rel}` }));

function dirDiff(a: CopyArgs, local: string, s: Record<string, string>, ctx: OpContext): Diff {
  const root = parseStat(s['copy-dir']!.split('\n')[0] ?? '');
  const entries = parseEntries(s.stat);
  const sums = parseSums(s.sums);
  const dest = trimSlashes(a.dest) || '/';
  const full = (rel: string) => `${dest === '/' ? '' : dest}/${rel}`;
  const dirAttrs: Attrs = { owner: a.owner, group: a.group, mode: a.dirMode };
  const changes: Change[] = [];
  const plan: DirPlan = { mkdirs: [], puts: [], fixes: [] };
  const conflict = (path: string, is: string, want: string) => new ShipshapeError(`${path} exists as a ${is}, not a ${want}`, {
    host: ctx.host, fix: 'remove it first (file with state: \'absent\') or choose another dest',
  });
  if (root.type === 'absent') {
    changes.push({ what: 'state', before: 'absent', after: 'directory' });
    plan.mkdirs.push(dest);
  } else if (root.type === 'directory') {
    const c = attrChanges(dirAttrs, root);
    changes.push(...c);
    plan.fixes.push(...attrActions(dest, dirAttrs, c));
  } else if (root.type !== 'link') {
    throw conflict(dest, root.type, 'directory');
  }
  for (const e of localTree(local)) {
    const path = full(e.rel);
    const cur = entries.get(e.rel) ?? { type: 'absent' as const };
    if (e.type === 'directory') {
      if (cur.type === 'absent') {
        changes.push({ what: `directory ${e.rel}`, before: 'absent', after: 'directory' });
        plan.mkdirs.push(path);
      } else if (cur.type === 'directory') {
        const c = attrChanges(dirAttrs, cur);
        changes.push(...label(c, e.rel));
        plan.fixes.push(...attrActions(path, dirAttrs, c, true));
      } else throw conflict(path, cur.type, 'directory');
      continue;
    }
    if (cur.type === 'directory' || cur.type === 'other') throw conflict(path, cur.type, 'file');
    const content = readFileSync(e.abs);
    if (a.secret) registerSecretContent(content);
    // A symlink on the host is replaced by the file (the upload renames over it), whatever it
    // points to: its target's checksum says nothing about the path, and is never chmod-ed.
    const state = cur.type === 'link' ? { stat: { type: 'absent' as const } } : { stat: cur, sha256: sums.get(e.rel) };
    const c = contentChange(path, content, state, a.secret === true);
    if (c) {
      changes.push({ ...c, what: `content ${e.rel}`, before: cur.type === 'absent' ? 'absent' : cur.type === 'link' ? 'link' : c.before });
      plan.puts.push(...fileActions({ path, content, state }, a, [c], defaultFileMode(e.mode)));
    } else {
      const ac = attrChanges(a, cur);
      changes.push(...label(ac, e.rel));
      plan.fixes.push(...attrActions(path, a, ac, true));
    }
  }
  return { changes, data: plan, noop: `${dest} holds every file of ${a.src} with the same content, owner and mode (files only on the host are left alone)` };
}

/** New directories in one mkdir, with their mode, then their owner. */
function mkdirActions(a: CopyArgs, dirs: string[]): Action[] {
  const mode = modeString(parseMode(a.dirMode) ?? 0o755);
  const actions: Action[] = [{ kind: 'exec', command: `mkdir -p -m ${mode} -- ${words(dirs)}` }];
  if (a.owner !== undefined || a.group !== undefined) {
    const spec = `${a.owner ?? ''}${a.group !== undefined ? ':' + a.group : ''}`;
    actions.push({ kind: 'exec', command: `chown -h ${quote(spec)} -- ${words(dirs)}` });
  }
  return actions;
}
