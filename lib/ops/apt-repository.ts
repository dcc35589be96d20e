/** aptRepository: a deb822 `.sources` file and its signing key; one `apt-get update` when either changed. */
import { argv } from '../transport/quote.js';
import { aptUpdateCommand } from './apt.js';
import { oneOfProblem, section, splitSections } from './common.js';
import { contentChange, contentProbe, parseContentProbe, type ContentState } from './content.js';
import type { Action, Change, OpSpec } from './types.js';

export interface AptRepositoryArgs {
  /** Names the files: `/etc/apt/sources.list.d/<name>.sources` and `/etc/apt/keyrings/<name>.asc|.gpg`. */
  name: string;
  /** Where the repository is: `http://`, `https://` or `file:` URIs. */
  uris: string | string[];
  /** Suites (`bookworm`), or one exact path ending in `/` (a flat repository, without components). */
  suites: string | string[];
  /** Components (`main`); required with suites, not allowed with an exact path. */
  components?: string | string[];
  /**
   * The repository's signing key, ASCII-armored (a string or Buffer starting `-----BEGIN PGP
   * PUBLIC KEY BLOCK-----`, written as `.asc`) or binary (a Buffer, written as `.gpg`). The
   * sources file names it in `Signed-By`, so it is trusted for this repository only.
   */
  key?: string | Buffer;
  /** Only these architectures (`amd64`, `arm64`). */
  architectures?: string | string[];
  /** `source` packages too (`Types: deb deb-src`); default false. */
  source?: boolean;
  /** `present` (default) or `absent` (both files removed). */
  state?: 'present' | 'absent';
  /** Seconds `apt-get update` waits for the dpkg lock (as apt's lockTimeout); default 120. */
  lockTimeout?: number;
}

const SOURCES = '/etc/apt/sources.list.d';
const KEYRINGS = '/etc/apt/keyrings';
// apt reads only sources.list.d files named so (others are ignored with a notice).
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const SUITE = /^[A-Za-z0-9._+~/-]+$/;
const COMPONENT = /^[A-Za-z0-9][A-Za-z0-9._+/-]*$/;
const ARCH = /^[a-z0-9][a-z0-9-]*$/;
const ARMOR = '-----BEGIN PGP PUBLIC KEY BLOCK-----';

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const paths = (name: string) => ({ sources: `${SOURCES}/${name}.sources`, asc: `${KEYRINGS}/${name}.asc`, gpg: `${KEYRINGS}/${name}.gpg` });

/** The key as bytes and the file it goes to (`.asc` when ASCII-armored). */
function keyFile(a: AptRepositoryArgs): { ext: 'asc' | 'gpg'; data: Buffer } | undefined {
  if (a.key === undefined) return undefined;
  const data = Buffer.isBuffer(a.key) ? a.key : Buffer.from(a.key, 'utf8');
  return { ext: data.subarray(0, 64).toString('latin1').trimStart().startsWith(ARMOR) ? 'asc' : 'gpg', data };
}

/**
 * The deb822 text of the `.sources` file.
 *
 * @example
 * sourcesText({ name: 'example', uris: 'https://example.org/debian', suites: 'bookworm', components: 'main' })
 * // 'Types: deb\nURIs: https://example.org/debian\nSuites: bookworm\nComponents: main\n'
 */
export function sourcesText(a: AptRepositoryArgs): string {
  const k = keyFile(a);
  const fields: [string, string[]][] = [
    ['Types', a.source ? ['deb', 'deb-src'] : ['deb']],
    ['URIs', list(a.uris)],
    ['Suites', list(a.suites)],
    ['Components', list(a.components)],
    ['Architectures', list(a.architectures)],
    ['Signed-By', k ? [`${KEYRINGS}/${a.name}.${k.ext}`] : []],
  ];
  return fields.filter(([, v]) => v.length > 0).map(([f, v]) => `${f}: ${v.join(' ')}\n`).join('');
}

function uriProblem(u: unknown): string | undefined {
  if (typeof u !== 'string' || /\s/.test(u) || u === '') return `uri ${JSON.stringify(u)} must be a URI without spaces`;
  let url: URL;
  try { url = new URL(u); } catch { return `uri ${JSON.stringify(u)} is not a valid URI`; }
  if (!['http:', 'https:', 'file:'].includes(url.protocol)) return `uri ${JSON.stringify(u)} must be http://, https:// or file: (not ${url.protocol})`;
  return undefined;
}

function wordsProblems(label: string, values: unknown[], re: RegExp, like: string): string[] {
  return values.filter((v) => typeof v !== 'string' || !re.test(v)).map((v) => `${label} ${JSON.stringify(v)} is not valid (${like})`);
}

interface RepoState { sources: ContentState; asc: ContentState; gpg: ContentState; keyrings: boolean }

interface RepoData { write: { path: string; data: Buffer }[]; remove: string[]; mkdir: boolean }

/**
 * An apt repository as a deb822 `.sources` file, its key in /etc/apt/keyrings (0644, written
 * before the sources file). When either changed, one `apt-get update` runs for the host: before
 * the next apt install that needs it (an apt task installs from the new repository without
 * `updateCache`), or at the end of the host's tasks; several repositories still cost one update.
 *
 * @example
 * host('web-01').aptRepository('example', { uris: 'https://example.org/debian', suites: 'bookworm', components: 'main', key: readFileSync('example.asc', 'utf8') })
 */
export const aptRepositoryOp: OpSpec<AptRepositoryArgs> = {
  kind: 'aptRepository',
  keys: {
    name: 'string', uris: 'string | string[]', suites: 'string | string[]', components: 'string | string[]', key: 'content',
    architectures: 'string | string[]', source: 'boolean', state: 'string', lockTimeout: 'number',
  },
  describe: (a) => `aptRepository ${a.name}${a.state === 'absent' ? ' (absent)' : ''}`,

  validate(a) {
    const problems: string[] = [];
    if (typeof a.name !== 'string' || !NAME.test(a.name) || a.name.length > 100) {
      problems.push(`name ${JSON.stringify(a.name)} is not a valid repository name (letters, digits, _ . -; it names /etc/apt/sources.list.d/<name>.sources)`);
    }
    const st = oneOfProblem('state', a.state, ['present', 'absent']);
    if (st) problems.push(st);
    if (a.lockTimeout !== undefined && !(Number.isInteger(a.lockTimeout) && a.lockTimeout >= 0 && a.lockTimeout <= 86400)) {
      problems.push(`lockTimeout ${JSON.stringify(a.lockTimeout)} must be a whole number of seconds from 0 to 86400`);
    }
    if (a.state === 'absent') return problems;
    const uris = list(a.uris), suites = list(a.suites), components = list(a.components);
    if (uris.length === 0) problems.push('uris is empty: give the repository\'s URI, like https://example.org/debian');
    for (const u of uris) { const p = uriProblem(u); if (p) problems.push(p); }
    if (suites.length === 0) problems.push('suites is empty: give a suite (bookworm) or an exact path ending in / (./)');
    problems.push(...wordsProblems('suite', suites, SUITE, 'like bookworm, or an exact path ending in /'));
    problems.push(...wordsProblems('component', components, COMPONENT, 'like main or contrib'));
    problems.push(...wordsProblems('architecture', list(a.architectures), ARCH, 'like amd64 or arm64'));
    const exact = suites.filter((s) => typeof s === 'string' && s.endsWith('/'));
    if (exact.length && (exact.length !== suites.length || suites.length > 1)) {
      problems.push(`suites ${JSON.stringify(suites)}: an exact path (${exact[0]}) must be the only suite`);
    } else if (exact.length && components.length) {
      problems.push(`components ${JSON.stringify(components)} must be left out with the exact path ${exact[0]} (a flat repository has none)`);
    } else if (!exact.length && suites.length && !components.length) {
      problems.push(`components is empty: suite ${JSON.stringify(suites[0])} needs at least one component (like main), or use an exact path ending in /`);
    }
    if (a.key !== undefined) {
      if (typeof a.key !== 'string' && !Buffer.isBuffer(a.key)) problems.push('key must be the key\'s text (ASCII-armored) or a Buffer');
      else {
        const k = keyFile(a)!;
        if (typeof a.key === 'string' && k.ext !== 'asc') problems.push(`key ${JSON.stringify(a.key.slice(0, 40))}... is not an ASCII-armored key (it starts with ${ARMOR}); pass a binary key as a Buffer`);
        else if (k.ext === 'gpg' && (k.data.length === 0 || !(k.data[0]! & 0x80))) problems.push('key is neither an ASCII-armored key nor a binary OpenPGP key (its first byte is not a packet tag)');
      }
    }
    return problems;
  },

  probe(a) {
    const p = paths(a.name);
    return [
      section('sources', contentProbe(p.sources)),
      section('asc', contentProbe(p.asc)),
      section('gpg', contentProbe(p.gpg)),
      section('keyrings', `[ -d ${KEYRINGS} ] && echo yes || echo no`),
    ].join('; ');
  },

  diff(a, probed) {
    const s = splitSections(probed.stdout);
    const state: RepoState = {
      sources: parseContentProbe(s.sources ?? ''), asc: parseContentProbe(s.asc ?? ''), gpg: parseContentProbe(s.gpg ?? ''),
      keyrings: (s.keyrings ?? '').trim() === 'yes',
    };
    const p = paths(a.name);
    const changes: Change[] = [];
    const data: RepoData = { write: [], remove: [], mkdir: false };
    const gone = (path: string, st: ContentState) => {
      if (st.stat.type === 'absent') return;
      changes.push({ what: path, before: st.stat.type, after: 'absent' });
      data.remove.push(path);
    };
    if (a.state === 'absent') {
      gone(p.asc, state.asc); gone(p.gpg, state.gpg); gone(p.sources, state.sources);
      return { changes, data, noop: `${p.sources} and its key are absent` };
    }
    const k = keyFile(a);
    if (k) {
      const path = k.ext === 'asc' ? p.asc : p.gpg;
      const cur = k.ext === 'asc' ? state.asc : state.gpg;
      const c = contentChange(path, k.data, cur);
      if (c) { changes.push({ ...c, what: `key ${path}` }); data.write.push({ path, data: k.data }); data.mkdir = !state.keyrings; }
      else if (cur.stat.mode !== 0o644) { changes.push({ what: `mode ${path}`, before: cur.stat.mode?.toString(8), after: '644' }); data.write.push({ path, data: k.data }); }
    }
    // A key of the other form (the key changed from armored to binary) or one no longer given.
    if (k?.ext !== 'asc') gone(p.asc, state.asc);
    if (k?.ext !== 'gpg') gone(p.gpg, state.gpg);
    const text = Buffer.from(sourcesText(a), 'utf8');
    const c = contentChange(p.sources, text, state.sources);
    if (c) { changes.push({ ...c, what: `sources ${p.sources}` }); data.write.push({ path: p.sources, data: text }); }
    return { changes, data, noop: `${p.sources} and its key are as given` };
  },

  apply(a, diff): Action[] {
    const d = diff.data as RepoData;
    const actions: Action[] = [];
    if (d.mkdir) actions.push({ kind: 'exec', command: `mkdir -p -m 0755 ${KEYRINGS}` });
    // Removals first: a stale key of the other form goes before the sources file names the new one.
    if (d.remove.length) actions.push({ kind: 'exec', command: argv(['rm', '-f', '--', ...d.remove]) });
    for (const w of d.write) actions.push({ kind: 'put', path: w.path, data: w.data, mode: 0o644, owner: 'root', group: 'root' });
    actions.push({
      kind: 'defer', key: 'apt-update', command: aptUpdateCommand(a.lockTimeout, true),
      failure: 'apt-get update failed after a repository changed',
      fix: 'check the repository\'s URIs, suites and components, and that key is the key its Release files are signed with',
    });
    return actions;
  },
};
