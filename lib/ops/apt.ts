import { ShipshapeError } from '../errors.js';
import { argv, quote } from '../transport/quote.js';
import { oneOfProblem, section, splitSections, words } from './common.js';
import type { Action, Change, Diff, OpSpec } from './types.js';

export interface AptArgs {
  /** Debian package names, each optionally pinned: `nginx`, `nginx=1.22.1-9`, `libc6:amd64`. */
  packages: string[];
  /** `present` (default), `absent` (apt-get remove) or `latest` (upgraded to the candidate). */
  state?: 'present' | 'absent' | 'latest';
  /**
   * Run `apt-get update` first. It runs only when it is useful (something to install, or
   * `latest`, or no packages at all) and, with `cacheValidTime`, only when the lists are older.
   * An update that runs counts as a change.
   */
  updateCache?: boolean;
  /**
   * Seconds the package lists stay fresh, judged by the mtime of /var/lib/apt/lists as
   * Ansible does. Implies `updateCache`.
   */
  cacheValidTime?: number;
  /**
   * Seconds apt waits for the dpkg lock another process holds (an unattended upgrade, another
   * apt), as Ansible's `lock_timeout`, before it fails; default 120. Its "Waiting for cache
   * lock" lines are in the task's output.
   */
  lockTimeout?: number;
}

const LISTS = '/var/lib/apt/lists';
const LOCK_TIMEOUT = 120;
const aptGet = (a: AptArgs) => ['apt-get', '-y', '-q', '-o', `DPkg::Lock::Timeout=${a.lockTimeout ?? LOCK_TIMEOUT}`, '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];
const ENV = 'DEBIAN_FRONTEND=noninteractive';
// Debian policy: lower case, digits, + - . ; at least two characters, starting alphanumeric.
const NAME = /^[a-z0-9][a-z0-9+.-]+(?::[a-z0-9-]+)?$/;
// The Debian revision (`-1`) is covered by the class; a separate `(-[...]+)?` group would overlap it.
const VERSION = /^(?:\d+:)?[0-9][A-Za-z0-9.+~-]*$/;

interface Wanted { spec: string; name: string; version?: string }

function parsePackage(spec: string): Wanted {
  const i = spec.indexOf('=');
  const name = i < 0 ? spec : spec.slice(0, i);
  return { spec, name, version: i < 0 ? undefined : spec.slice(i + 1) };
}

const updates = (a: AptArgs) => a.updateCache === true || a.cacheValidTime !== undefined;
/** dpkg's `${Status}` of an installed package: any want (`hold` included), either error flag. */
const INSTALLED_STATUSES = ['unknown', 'install', 'hold', 'deinstall', 'purge'].flatMap((want) => [`${want} ok installed`, `${want} reinstreq installed`]);

const baseName = (name: string) => (name.includes(':') ? name.slice(0, name.indexOf(':')) : name);

interface Installed { status: string; version: string }

interface AptData { update: boolean; install: string[]; remove: string[] }

/**
 * Parses `dpkg-query -W -f='${Package} ${Status} ${Version}\n'` lines, so the apt diff can
 * tell installed packages from removed ones whose config files are still there.
 *
 * @example
 * parseDpkg('nginx install ok installed 1.22.1-9\n').get('nginx')   // { status: 'installed', version: '1.22.1-9' }
 */
export function parseDpkg(text: string): Map<string, Installed> {
  const out = new Map<string, Installed>();
  for (const line of text.split('\n')) {
    // Split, not one regexp: `(\S+) ?(\S*)$` backtracked quadratically on a long field.
    const f = line.trim().split(' ');
    if ((f.length === 4 || f.length === 5) && f.every((x) => x !== '' && !/\s/.test(x))) out.set(f[0]!, { status: f[3]!, version: f[4] ?? '' });
  }
  return out;
}

/**
 * Parses `apt-cache policy` output into package → candidate version (undefined for `(none)`):
 * the candidate decides whether `state: 'latest'` has anything to upgrade.
 *
 * @example
 * parsePolicy('nginx:\n  Installed: (none)\n  Candidate: 1.22.1-9\n').get('nginx')   // '1.22.1-9'
 */
export function parsePolicy(text: string): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  let pkg: string | undefined;
  for (const line of text.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) { pkg = baseName(head[1]!); continue; }
    const cand = /^\s+Candidate: (\S+)/.exec(line);
    if (cand && pkg) out.set(pkg, cand[1] === '(none)' ? undefined : cand[1]);
  }
  return out;
}

/**
 * Debian packages installed, removed or upgraded with `apt-get` (non-interactive, keeping
 * changed config files). Installed state comes from `dpkg-query`, candidates from
 * `apt-cache policy`, cache age from the mtime of /var/lib/apt/lists.
 *
 * @example
 * host('web-01').apt(['nginx', 'supervisor'], { updateCache: true, cacheValidTime: 3600 })
 */
export const aptOp: OpSpec<AptArgs> = {
  kind: 'apt',
  keys: { packages: 'string[]', state: 'string', updateCache: 'boolean', cacheValidTime: 'number', lockTimeout: 'number' },
  describe: (a) => `apt ${(a.packages ?? []).join(' ') || 'update'}${a.state && a.state !== 'present' ? ` (${a.state})` : ''}`,

  validate(a) {
    const problems: string[] = [];
    if (!Array.isArray(a.packages)) return [`packages ${JSON.stringify(a.packages)} must be a list of package names`];
    if (a.packages.length === 0 && !updates(a)) problems.push('packages is empty: name at least one package, or pass updateCache: true to only update the lists');
    const st = oneOfProblem('state', a.state, ['present', 'absent', 'latest']);
    if (st) problems.push(st);
    for (const spec of a.packages) {
      if (typeof spec !== 'string') { problems.push(`package ${JSON.stringify(spec)} is not a string`); continue; }
      const w = parsePackage(spec);
      if (!NAME.test(w.name)) {
        problems.push(`package ${JSON.stringify(spec)} is not a valid Debian package name (lower case letters, digits, + - . ; optionally =version)`);
      } else if (w.version !== undefined && !VERSION.test(w.version)) {
        problems.push(`package ${JSON.stringify(spec)} has an invalid version ${JSON.stringify(w.version)} (like 1.22.1-9 or 1:2.3-4)`);
      } else if (w.version !== undefined && (a.state ?? 'present') !== 'present') {
        problems.push(`package ${JSON.stringify(spec)} pins a version, which only goes with state 'present'`);
      }
    }
    const seen = new Set<string>();
    for (const spec of a.packages) {
      const n = typeof spec === 'string' ? parsePackage(spec).name : '';
      if (n && seen.has(n)) problems.push(`package ${JSON.stringify(n)} is listed twice`);
      seen.add(n);
    }
    if (a.cacheValidTime !== undefined && !(Number.isInteger(a.cacheValidTime) && a.cacheValidTime >= 0)) {
      problems.push(`cacheValidTime ${JSON.stringify(a.cacheValidTime)} must be a whole number of seconds (0 or more)`);
    }
    if (a.lockTimeout !== undefined && !(Number.isInteger(a.lockTimeout) && a.lockTimeout >= 0 && a.lockTimeout <= 86400)) {
      problems.push(`lockTimeout ${JSON.stringify(a.lockTimeout)} must be a whole number of seconds from 0 to 86400`);
    }
    return problems;
  },

  probe(a) {
    const names = a.packages.map((p) => parsePackage(p).name);
    const parts: string[] = [];
    if (names.length > 0) {
      // dpkg-query exits 1 and complains on stderr for packages it never heard of: those are
      // absent. Asked once; what is missing is read from the same answer.
      parts.push(`q=$(LC_ALL=C dpkg-query -W -f='\${Package} \${Status} \${Version}\\n' -- ${words(names)} 2>/dev/null); rc=$?`);
      parts.push(section('dpkg', `printf '%s\\n' "$q"; echo "rc=$rc"`));
    }
    if (a.state === 'latest' && names.length > 0) parts.push(section('policy', `LC_ALL=C apt-cache policy -- ${words(names)} 2>/dev/null`));
    else if ((a.state ?? 'present') === 'present' && names.length > 0) {
      // Candidates only for what is not installed, so an unchanged host pays no apt-cache; told
      // from the same answer with the shell's own `case` (no process): a line
      // `<name> <want> <flag> installed <version>` is an installed package.
      const installed = INSTALLED_STATUSES.map((st) => `*"$nl$w ${st} "*`).join('|');
      parts.push(`nl='\n'; missing=; for w in ${words(names.map(baseName))}; do case "$nl$q" in ${installed}) ;; *) missing="$missing $w" ;; esac; done`,
      `if [ -n "$missing" ]; then ${section('policy', 'LC_ALL=C apt-cache policy -- $missing 2>/dev/null')}; fi`);
    }
    if (updates(a)) {
      // Whether any Packages list is there: a glob, not find | head | wc.
      parts.push(section('lists', `n=0; for f in ${LISTS}/*_Packages*; do [ -e "$f" ] && n=1; break; done; echo "$(date +%s) $(stat -c %Y ${LISTS} 2>/dev/null || echo -) $n"`));
    }
    return parts.join('; ');
  },

  diff(a, probed, ctx): Diff {
    const s = splitSections(probed.stdout);
    const state = a.state ?? 'present';
    const changes: Change[] = [];
    const install: string[] = [];
    const remove: string[] = [];
    let installed = new Map<string, Installed>();
    if (s.dpkg !== undefined) {
      const rc = Number(/rc=(\d+)/.exec(s.dpkg)?.[1] ?? NaN);
      if (!(rc === 0 || rc === 1)) {
        throw new ShipshapeError(`dpkg-query failed (exit ${rc}): is this a Debian or Ubuntu host?`, { host: ctx.host, command: 'dpkg-query -W', exitCode: rc });
      }
      installed = parseDpkg(s.dpkg);
    }
    const policy = parsePolicy(s.policy ?? '');
    // An aptRepository that changed earlier asked for an update: an install runs it now, once.
    const cache = ctx.deferred?.has('apt-update') ? { due: true, age: 'a repository changed' } : cacheState(a, s.lists);
    for (const w of a.packages.map(parsePackage)) {
      const cur = installed.get(baseName(w.name));
      const isIn = cur?.status === 'installed';
      const what = `package ${w.name}`;
      if (state === 'absent') {
        if (isIn) { changes.push({ what, before: cur!.version, after: 'absent' }); remove.push(w.name); }
      } else if (state === 'present') {
        if (!isIn) { changes.push({ what, before: cur ? `${cur.status}` : 'absent', after: w.version ?? 'present' }); install.push(w.spec); }
        else if (w.version !== undefined && cur!.version !== w.version) { changes.push({ what, before: cur!.version, after: w.version }); install.push(w.spec); }
      } else {
        const cand = policy.get(baseName(w.name));
        if (cand === undefined && !cache.due && !ctx.check) {
          throw new ShipshapeError(`package ${w.name} has no installation candidate`, {
            host: ctx.host, fix: 'check the name, or pass updateCache: true so the package lists are fetched first',
          });
        }
        if (!isIn || cand === undefined || cur!.version !== cand) {
          changes.push({ what, before: isIn ? cur!.version : 'absent', after: cand ?? 'latest' });
          install.push(w.spec);
        }
      }
    }
    // Updating only helps an install; `latest` may find newer versions after it.
    const update = cache.due && (a.packages.length === 0 || state === 'latest' || install.length > 0);
    if (update) changes.unshift({ what: 'cache', before: cache.age, after: 'updated' });
    if (update && state === 'latest') {
      for (const w of a.packages.map(parsePackage)) if (!install.includes(w.spec)) install.push(w.spec);
    }
    const data: AptData = { update, install, remove };
    // A package to install that the lists do not know fails for sure, unless the lists are refreshed first.
    // A name apt-cache knows without a candidate may be virtual (apt-get can pick a provider): not certain.
    const noCandidate = state === 'present' && s.policy !== undefined
      ? install.map(parsePackage).filter((w) => policy.get(baseName(w.name)) === undefined) : [];
    const unknown = noCandidate.filter((w) => !policy.has(baseName(w.name))).map((w) => w.name);
    const virtual = noCandidate.filter((w) => policy.has(baseName(w.name))).map((w) => w.name);
    const none = unknown.length === 1 ? `package ${unknown[0]} has no installation candidate` : `packages ${unknown.join(', ')} have no installation candidate`;
    return {
      changes, data, noop: noopReason(a, state, cache),
      fails: unknown.length && !update ? `${none} (check the name${updates(a) ? '' : ', or pass updateCache: true so the package lists are fetched first'})` : undefined,
      uncertain: unknown.length && update ? `${none} in the current package lists, which are refreshed first`
        : virtual.length ? `${virtual.join(', ')} ${virtual.length === 1 ? 'has' : 'have'} no candidate of ${virtual.length === 1 ? 'its' : 'their'} own (a virtual package?)` : undefined,
    };
  },

  apply(a, diff, ctx): Action[] {
    const d = diff.data as AptData;
    const actions: Action[] = [];
    // It stands in for the update a changed repository asked for, so it is as strict.
    if (d.update) actions.push({ kind: 'exec', command: aptUpdateCommand(a.lockTimeout, ctx?.deferred?.has('apt-update')), settles: 'apt-update' });
    if (d.install.length > 0) actions.push({ kind: 'exec', command: `${ENV} ${argv([...aptGet(a), 'install', '--', ...d.install])}` });
    if (d.remove.length > 0) actions.push({ kind: 'exec', command: `${ENV} ${argv([...aptGet(a), 'remove', '--', ...d.remove])}` });
    return actions;
  },
};

/**
 * The `apt-get update` apt and aptRepository run. The touch: apt-get update leaves the
 * directory's mtime alone when nothing changed upstream, and cacheValidTime reads it.
 * `strict` (after a repository changed): a repository that cannot be fetched or verified fails
 * the update, instead of a warning that keeps its old lists (`--error-on=any`, apt 2.2+).
 *
 * @example
 * aptUpdateCommand()   // 'DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=120 update && touch /var/lib/apt/lists'
 */
export function aptUpdateCommand(lockTimeout = LOCK_TIMEOUT, strict = false): string {
  return `${ENV} apt-get -q -o DPkg::Lock::Timeout=${lockTimeout}${strict ? ' --error-on=any' : ''} update && touch ${LISTS}`;
}

interface CacheState { due: boolean; age: string }

function cacheState(a: AptArgs, lists: string | undefined): CacheState {
  if (!updates(a)) return { due: false, age: '' };
  const [now, mtime, has] = (lists ?? '').trim().split(/\s+/);
  if (has !== '1' || mtime === '-' || mtime === undefined) return { due: true, age: 'no package lists' };
  const age = Number(now) - Number(mtime);
  const text = `updated ${formatAge(age)} ago`;
  if (a.cacheValidTime === undefined) return { due: true, age: text };
  return { due: !(age >= 0 && age <= a.cacheValidTime), age: text };
}

function formatAge(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 120) return `${Math.max(0, s)}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

function noopReason(a: AptArgs, state: string, cache: CacheState): string {
  const list = a.packages.join(', ');
  const what = a.packages.length === 0 ? 'nothing to install'
    : state === 'absent' ? `${list} not installed`
      : state === 'latest' ? `${list} at the candidate version` : `${list} installed`;
  if (!updates(a)) return what;
  return cache.due ? `${what} (cache update skipped: nothing to install)` : `${what}; package lists fresh (${cache.age})`;
}

/**
 * Two adjacent apt tasks as one apt-get call, or undefined when they cannot merge: a
 * different state, different cache options (a task without cache options rides along),
 * an update-only task, or the same package pinned differently.
 *
 * @example
 * mergeApt({ packages: ['nginx'] }, { packages: ['htop'] })   // { packages: ['nginx', 'htop'] }
 */
export function mergeApt(a: AptArgs, b: AptArgs): AptArgs | undefined {
  if ((a.state ?? 'present') !== (b.state ?? 'present')) return undefined;
  if (a.packages.length === 0 || b.packages.length === 0) return undefined;
  const ua = updates(a), ub = updates(b);
  if (ua && ub && a.cacheValidTime !== b.cacheValidTime) return undefined;
  const specs = new Map<string, string>();
  for (const spec of [...a.packages, ...b.packages]) {
    const n = parsePackage(spec).name;
    const prev = specs.get(n);
    if (prev !== undefined && prev !== spec) return undefined;
    specs.set(n, spec);
  }
  const merged: AptArgs = { packages: [...specs.values()] };
  if (a.state !== undefined || b.state !== undefined) merged.state = a.state ?? b.state;
  const c = ua ? a : ub ? b : undefined;
  if (c?.updateCache) merged.updateCache = true;
  if (c?.cacheValidTime !== undefined) merged.cacheValidTime = c.cacheValidTime;
  return merged;
}
