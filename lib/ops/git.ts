import { ShipshapeError } from '../errors.js';
import { argv, quote } from '../transport/quote.js';
import { attrChanges, validateAttrs } from './attrs.js';
import { absolutePathProblem, parseStat, section, splitSections, statProbe, trimSlashes } from './common.js';
import type { Action, Change, Diff, OpSpec } from './types.js';

export interface GitArgs {
  /** The repository URL (https://, http://, ssh://, user@host:path or a path on the host). */
  repo: string;
  /** The work tree on the host (created; an existing one must be a clone, or an empty directory). */
  dest: string;
  /**
   * A branch, tag, full ref (`refs/...`) or commit (40 hex digits; an abbreviated one is looked
   * up after fetching every branch and tag). Default: the remote's HEAD, as a branch.
   */
  version?: string;
  /** Shallow clone and fetches of this many commits (not with an abbreviated commit). */
  depth?: number;
  /** SSH private key on the host for ssh:// repositories (readable by `owner` when given). */
  keyFile?: string;
  /** Git runs as this user (sudo -u), so the tree is theirs and git never sees "dubious ownership". */
  owner?: string;
  /** The tree's group (`chgrp -R` after a change). */
  group?: string;
  /** Discard local modifications of tracked files (default false: an update over them fails). */
  force?: boolean;
}

const FULL_SHA = /^[0-9a-f]{40}$/;
const SHORT_SHA = /^[0-9a-f]{4,39}$/;
const short = (sha: string | undefined) => sha?.slice(0, 7);

type Want =
  | { kind: 'branch' | 'tag' | 'ref'; name: string; sha: string }
  | { kind: 'commit'; sha: string }
  | { kind: 'abbrev'; name: string; sha?: string };

/**
 * A git work tree on the host, cloned or updated to a branch, tag or commit. The probe reads
 * HEAD and resolves the wanted commit with `git ls-remote` (read-only), so a tree already at
 * it costs no fetch. Changes say `commit <old> → <new>`; an update over local modifications
 * fails unless `force: true`.
 *
 * @example
 * host('web-01').git('https://example.org/app.git', '/opt/app', { version: 'v1.2.0', owner: 'www-data' })
 */
export const gitOp: OpSpec<GitArgs> = {
  kind: 'git',
  keys: { repo: 'string', dest: 'string', version: 'string', depth: 'number', keyFile: 'string', owner: 'string', group: 'string', force: 'boolean' },
  describe: (a) => `git ${a.repo} → ${a.dest}`,

  validate(a) {
    const problems = validateAttrs({ owner: a.owner, group: a.group });
    if (typeof a.repo !== 'string' || a.repo.trim() === '' || a.repo.startsWith('-') || /[\s\0]/.test(a.repo)) {
      problems.push(`repo ${JSON.stringify(a.repo)} must be a repository URL or path, like https://example.org/app.git`);
    }
    const dp = absolutePathProblem('dest', a.dest);
    if (dp) problems.push(dp);
    else if (trimSlashes(a.dest) === '') problems.push('dest "/" cannot be a work tree: name a directory like /opt/app');
    const v = a.version;
    if (v !== undefined && (typeof v !== 'string' || !/^[^\s~^:?*[\\\0-\x1f\x7f-][^\s~^:?*[\\\0-\x1f\x7f]*$/.test(v) || v.includes('..') || v.includes('@{') || /(\/|\.|\.lock)$/.test(v) || v.includes('//'))) {
      problems.push(`version ${JSON.stringify(v)} is not a branch, tag or commit name git accepts`);
    }
    if (a.depth !== undefined && (!Number.isInteger(a.depth) || a.depth < 1)) problems.push(`depth ${JSON.stringify(a.depth)} must be a whole number of commits, 1 or more`);
    else if (a.depth !== undefined && typeof v === 'string' && SHORT_SHA.test(v)) problems.push(`version ${JSON.stringify(v)} with depth: a shallow clone needs a branch, a tag or a full 40-digit commit`);
    if (a.keyFile !== undefined) {
      const kp = absolutePathProblem('keyFile', a.keyFile);
      if (kp) problems.push(kp);
    }
    if (a.force !== undefined && typeof a.force !== 'boolean') problems.push(`force ${JSON.stringify(a.force)} must be true or false`);
    return problems;
  },

  probe(a) {
    const d = trimSlashes(a.dest);
    const q = quote(d);
    const v = version(a);
    const patterns = v === undefined ? ['HEAD'] : [v, `${v}^{}`];
    const inRepo = [
      section('head', 'g -C "$d" rev-parse --verify -q HEAD 2>&1; echo "rc=$?"'),
      section('branch', 'g -C "$d" symbolic-ref -q --short HEAD'),
      section('url', 'g -C "$d" config --get remote.origin.url'),
      section('mods', 'g -C "$d" status --porcelain --untracked-files=no 2>&1'),
      ...(v !== undefined && SHORT_SHA.test(v) ? [section('local', `g -C "$d" rev-parse --verify -q ${quote(`${v}^{commit}`)}`)] : []),
    ];
    return [
      ...gitFunctions(a), `d=${q}`,
      section('bin', 'command -v git || true'),
      section('dest', statProbe(d)),
      `if command -v git >/dev/null 2>&1; then`,
      `if [ -e ${quote(`${d}/.git`)} ]; then ${inRepo.join('; ')}; elif [ -d ${q} ]; then ${section('entries', `ls -A ${q} | head -n 5`)}; fi`,
      ...(v !== undefined && FULL_SHA.test(v) ? [] : [section('remote', `gr ls-remote --symref -- ${argv([a.repo, ...patterns])} 2>&1; echo "rc=$?"`)]),
      'fi',
    ].join('\n');
  },

  diff(a, probed, ctx): Diff {
    const s = splitSections(probed.stdout);
    const d = trimSlashes(a.dest);
    const err = (msg: string, fix?: string, stderr?: string) => new ShipshapeError(msg, { host: ctx.host, fix, stderr });
    const st = parseStat((s.dest ?? '').split('\n')[0] ?? '');
    const repoThere = s.head !== undefined;
    if ((s.bin ?? '').trim() === '') {
      const missing = `git is not installed on ${ctx.host}: the git op needs it`;
      if (!ctx.check) throw err(missing, "install it first, e.g. .apt(['git'])");
      return { changes: [{ what: repoThere ? 'update' : 'clone', before: st.type, after: a.version ?? 'HEAD' }], uncertain: `${missing} (an earlier task may install it)` };
    }
    const want = resolveWant(a, s, ctx.host);
    const label = want.kind === 'commit' ? 'commit' : want.kind === 'abbrev' ? `commit ${want.name}` : `${want.kind} ${want.name}`;
    const after = short(want.sha) ?? (want.kind === 'abbrev' ? want.name : undefined);

    if (!repoThere) {
      if (st.type !== 'absent' && st.type !== 'directory') throw err(`${d} exists as a ${st.type}, not a git work tree`, 'remove it first or choose another dest');
      const entries = (s.entries ?? '').split('\n').filter(Boolean);
      if (st.type === 'directory' && entries.length) {
        throw err(`${d} exists and is not a git work tree: it holds ${entries.join(', ')}`, 'empty it, remove it, or choose another dest');
      }
      return { changes: [{ what: `clone ${label} at ${after}`, before: 'absent', after }], data: { want, clone: true } };
    }

    const head = parseRc(s.head!);
    if (head.rc !== 0 && /dubious ownership/.test(head.out)) {
      throw err(`${d} belongs to ${st.owner}, and git refuses to work in a tree another user owns ("dubious ownership")`, `pass owner: '${st.owner}' so git runs as that user`, head.out);
    }
    const cur = head.rc === 0 ? head.out.trim() : undefined;
    const changes: Change[] = [];
    const url = (s.url ?? '').trim();
    if (url !== a.repo) changes.push({ what: 'remote', before: url || '(none)', after: a.repo });
    const branch = (s.branch ?? '').trim();
    const moves = want.sha === undefined || cur !== want.sha;
    if (moves) changes.push({ what: `commit ${short(cur) ?? '(none)'} → ${after}`, before: short(cur) ?? '(none)', after });
    else if (want.kind === 'branch' && branch !== want.name) changes.push({ what: `branch ${branch || '(detached)'} → ${want.name}`, before: branch || '(detached)', after: want.name });
    const mods = (s.mods ?? '').split('\n').filter(Boolean);
    if (mods.length && a.force) changes.push({ what: 'local modifications', before: `${mods.length} file${mods.length === 1 ? '' : 's'}`, after: 'discarded' });
    changes.push(...attrChanges({ owner: a.owner, group: a.group }, st));
    const diff: Diff = { changes, data: { want, clone: false }, noop: `${d} is at ${label} (${short(cur)})${mods.length ? ` (local modifications left alone: ${mods.length} file${mods.length === 1 ? '' : 's'})` : ''}` };
    // Back on the branch at the same commit keeps them (checkout carries them): only a move fails.
    if (mods.length && !a.force && moves) {
      diff.fails = `${d} has local modifications (${mods.slice(0, 3).map((m) => m.slice(3)).join(', ')}${mods.length > 3 ? ', ...' : ''}): commit or discard them on ${ctx.host}, or pass force: true to discard them`;
    }
    return diff;
  },

  apply(a, diff): Action[] {
    const { want, clone } = diff.data as { want: Want; clone: boolean };
    const d = trimSlashes(a.dest);
    const has = (w: string) => diff.changes.some((c) => c.what.startsWith(w));
    const depth = a.depth !== undefined ? ['--depth', String(a.depth)] : [];
    const f = a.force ? ['--force'] : [];
    const lines = ['set -e', ...gitFunctions(a), `d=${quote(d)}`];
    const g = (...words: string[]) => `g -C "$d" ${argv(words)}`;
    const own = a.owner !== undefined || a.group !== undefined ? `${a.owner ?? ''}${a.group !== undefined ? ':' + a.group : ''}` : undefined;
    const fetchCommit = (sha: string) => `${g('cat-file', '-e', `${sha}^{commit}`)} 2>/dev/null || ${g('fetch', '-q', ...depth, 'origin', sha)} || ${g('fetch', '-q', '--tags', 'origin')}`;
    if (clone) {
      lines.push('mkdir -p -- "$d"', ...(a.owner !== undefined ? [`chown ${quote(a.owner)} -- "$d"`] : []));
      const branch = want.kind === 'branch' || want.kind === 'tag' ? ['--branch', want.name] : [];
      const noCheckout = want.kind === 'commit' || want.kind === 'abbrev' || want.kind === 'ref' ? ['--no-checkout'] : [];
      // the remote's HEAD: a plain clone checks out its default branch
      const plain = version(a) === undefined;
      lines.push(`g clone -q ${argv([...depth, ...(plain ? [] : [...branch, ...noCheckout]), '--', a.repo])} "$d"`);
      if (want.kind === 'commit') lines.push(fetchCommit(want.sha), g('checkout', '-q', '--detach', want.sha));
      if (want.kind === 'ref') lines.push(g('fetch', '-q', ...depth, 'origin', `+${want.name}:${want.name}`), g('checkout', '-q', '--detach', want.sha));
      if (want.kind === 'abbrev') lines.push(g('checkout', '-q', '--detach', `${want.name}^{commit}`));
    } else {
      if (has('remote')) lines.push(`${g('remote', 'set-url', 'origin', a.repo)} 2>/dev/null || ${g('remote', 'add', 'origin', a.repo)}`);
      if (has('commit ') || has('branch ') || has('local modifications')) {
        if (want.kind === 'branch') {
          lines.push(g('fetch', '-q', ...depth, 'origin', `+refs/heads/${want.name}:refs/remotes/origin/${want.name}`),
            g('checkout', '-q', ...f, '-B', want.name, want.sha), `${g('branch', '-q', `--set-upstream-to=origin/${want.name}`, want.name)} || true`);
        } else if (want.kind === 'tag' || want.kind === 'ref') {
          const ref = want.kind === 'tag' ? `refs/tags/${want.name}` : want.name;
          lines.push(g('fetch', '-q', ...depth, 'origin', `+${ref}:${ref}`), g('checkout', '-q', ...f, '--detach', want.sha));
        } else if (want.kind === 'commit') {
          lines.push(fetchCommit(want.sha), g('checkout', '-q', ...f, '--detach', want.sha));
        } else {
          lines.push(`${g('cat-file', '-e', `${want.name}^{commit}`)} 2>/dev/null || ${g('fetch', '-q', '--tags', 'origin')}`, g('checkout', '-q', ...f, '--detach', `${want.name}^{commit}`));
        }
        if (a.force) lines.push(g('reset', '-q', '--hard'));
      }
    }
    if (own) lines.push(`chown -R ${quote(own)} -- "$d"`);
    return [{ kind: 'exec', command: lines.join('\n'), failure: `git ${clone ? 'clone' : 'update'} of ${a.repo} into ${d} failed`, shown: `git ${clone ? 'clone' : 'update'} ${a.repo} ${d} (${short(want.sha) ?? a.version ?? 'HEAD'})` }];
  },
};

/**
 * Shell functions `g` (git) and `gr` (git that reaches the remote: a timeout, no prompt), run as
 * `owner` when given and it exists (a user made later in the run may not, in check mode).
 */
function gitFunctions(a: GitArgs): string[] {
  const env = ['GIT_TERMINAL_PROMPT=0', ...(a.keyFile ? [`GIT_SSH_COMMAND=ssh -i ${quote(a.keyFile)} -o IdentitiesOnly=yes -o BatchMode=yes`] : [])];
  const o = a.owner;
  const as = o === undefined ? 'as() { "$@"; }'
    : `as() { if [ "$(id -un)" = ${quote(o)} ] || [ "$(id -u)" = ${quote(o)} ] || ! id -u ${quote(o)} >/dev/null 2>&1; then "$@"; ` +
      `else sudo -n -H -u ${quote(/^\d+$/.test(o) ? `#${o}` : o)} -- "$@"; fi; }`;
  return [as, `g() { as env ${argv(env)} git "$@"; }`, `gr() { as timeout 120 env ${argv(env)} git "$@"; }`];
}

/** The version asked for; `HEAD` is the default. */
const version = (a: GitArgs) => (a.version === 'HEAD' ? undefined : a.version);

function parseRc(text: string): { out: string; rc: number } {
  const m = /(?:^|\n)rc=(\d+)\n?$/.exec(text);
  return { out: m ? text.slice(0, m.index) : text, rc: m ? Number(m[1]) : -1 };
}

/** The wanted commit: from ls-remote's refs (a branch before a tag; an annotated tag peeled). */
function resolveWant(a: GitArgs, s: Record<string, string>, host: string): Want {
  const v = version(a);
  if (v !== undefined && FULL_SHA.test(v)) return { kind: 'commit', sha: v };
  const r = parseRc(s.remote ?? 'rc=-1');
  if (r.rc !== 0) {
    const why = r.rc === 124 ? 'timed out after 120 s' : r.out.trim().split('\n').find((l) => /fatal|error/i.test(l)) ?? `exit code ${r.rc}`;
    throw new ShipshapeError(`git ls-remote ${a.repo} failed on ${host}: ${why}`, {
      host, stderr: r.out, fix: 'check the URL, that the host can reach it, and for ssh:// the keyFile',
    });
  }
  const refs = new Map<string, string>();
  let symref: string | undefined;
  for (const line of r.out.split('\n')) {
    const sym = /^ref: (\S+)\tHEAD$/.exec(line);
    if (sym) { symref = sym[1]; continue; }
    const m = /^([0-9a-f]{40})\t(.+)$/.exec(line);
    if (m) refs.set(m[2]!, m[1]!);
  }
  const tag = (name: string) => refs.get(`refs/tags/${name}^{}`) ?? refs.get(`refs/tags/${name}`);
  if (v === undefined) {
    const sha = refs.get('HEAD');
    if (!sha) throw new ShipshapeError(`${a.repo} has no HEAD (an empty repository?)`, { host, fix: 'push a commit to it, or give a version' });
    return symref?.startsWith('refs/heads/') ? { kind: 'branch', name: symref.slice(11), sha } : { kind: 'commit', sha };
  }
  if (v.startsWith('refs/heads/') && refs.has(v)) return { kind: 'branch', name: v.slice(11), sha: refs.get(v)! };
  if (v.startsWith('refs/tags/') && tag(v.slice(10))) return { kind: 'tag', name: v.slice(10), sha: tag(v.slice(10))! };
  if (v.startsWith('refs/') && refs.has(v)) return { kind: 'ref', name: v, sha: refs.get(`${v}^{}`) ?? refs.get(v)! };
  if (refs.has(`refs/heads/${v}`)) return { kind: 'branch', name: v, sha: refs.get(`refs/heads/${v}`)! };
  if (tag(v)) return { kind: 'tag', name: v, sha: tag(v)! };
  if (SHORT_SHA.test(v)) return { kind: 'abbrev', name: v, sha: (s.local ?? '').trim().match(/^[0-9a-f]{40}$/)?.[0] };
  throw new ShipshapeError(`version ${v} is not a branch or tag of ${a.repo}`, { host, fix: 'give an existing branch, tag or a full 40-digit commit' });
}
