/**
 * `--tags` / `--skip-tags` with Ansible's semantics, as pure functions over tag lists: which
 * tasks stay in the plan, which handlers may run, and what is wrong with a selection.
 */
import { closestMatch } from '../did-you-mean.js';

/** What a run asks for: `--tags` (undefined: every task but those tagged `never`) and `--skip-tags`. */
export interface TagSelection {
  tags?: readonly string[];
  skipTags?: readonly string[];
}

/** Tags a task may carry that change how it is selected. */
export const TASK_SPECIAL_TAGS = ['always', 'never'] as const;
/** Tags only a selection may name: they stand for sets of tasks. */
export const SELECTION_ONLY_TAGS = ['all', 'tagged', 'untagged'] as const;

const WORD = /^[\p{L}\p{N}_][\p{L}\p{N}_.-]*$/u;

/**
 * Why `value` cannot be a tag of a task, or undefined: a tag is one plain word (letters,
 * digits, `_`, `-`, `.`; so no comma, which separates tags on the command line), and not one
 * of the names only a selection uses (`all`, `tagged`, `untagged`).
 *
 * @example
 * tagNameProblem('web server')   // 'tag "web server" must be one plain word (letters, digits, _ - .)'
 */
export function tagNameProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `tag ${JSON.stringify(value) ?? String(value)} must be a string`;
  if (!WORD.test(value)) return `tag ${JSON.stringify(value)} must be one plain word (letters, digits, _ - .)`;
  if ((SELECTION_ONLY_TAGS as readonly string[]).includes(value)) return `tag "${value}" is reserved: --tags ${value} selects tasks by it, no task may carry it`;
  return undefined;
}

/**
 * The tags as given to an option (`'web'` or `['web', 'nginx']`) as a list; anything else is
 * kept as a one-element list so that validation names it.
 *
 * @example
 * tagList('web')   // ['web']
 */
export function tagList(tags: unknown): unknown[] {
  return tags === undefined ? [] : Array.isArray(tags) ? tags : [tags];
}

/**
 * Whether a task with `tags` runs, as Ansible decides it: with `--tags`, it needs one of them,
 * or `always`, or (`all` / `tagged`) not `never`; without `--tags`, every task but those tagged
 * `never` does. Then `--skip-tags` removes it when it names one of its tags (`always` too, but
 * only by name: `--skip-tags all` keeps `always` tasks), `tagged` (it has a tag) or `untagged`.
 *
 * @example
 * taskRuns(['nginx'], { tags: ['web'] })            // false
 * taskRuns(['always'], { tags: ['web'] })           // true
 * taskRuns(['never', 'debug'], {})                  // false
 * taskRuns(['never', 'debug'], { tags: ['debug'] }) // true
 */
export function taskRuns(tags: readonly string[], sel: TagSelection): boolean {
  const has = new Set(tags.length ? tags : ['untagged']);
  const tagged = tags.length > 0;
  const only = sel.tags?.length ? sel.tags : ['all'];
  const skip = sel.skipTags ?? [];
  const run = has.has('always')
    || (only.includes('all') && !has.has('never'))
    || only.some((t) => has.has(t))
    || (only.includes('tagged') && tagged && !has.has('never'));
  if (!run) return false;
  if (skip.includes('all')) return has.has('always') && !skip.includes('always');
  if (skip.some((t) => has.has(t))) return false;
  return !(skip.includes('tagged') && tagged);
}

/**
 * Whether a notified handler with `tags` may run: `--tags` does not filter handlers (a task
 * that ran and changed something needs its handler), and `--skip-tags` skips one only when it
 * names one of its tags (`all`, `tagged`, `untagged` would skip the handlers of the very
 * tasks they select).
 *
 * @example
 * handlerRuns(['restart'], { tags: ['config'] })        // true
 * handlerRuns(['restart'], { skipTags: ['restart'] })   // false
 */
export function handlerRuns(tags: readonly string[], sel: TagSelection): boolean {
  const skip = sel.skipTags ?? [];
  return !tags.some((t) => skip.includes(t));
}

/**
 * Problems with a selection, as plan problems: a name that is not a plain word, and a tag no
 * task or handler of the deploy file carries (with the closest one that exists), since a
 * typo in `--tags` would run nothing and one in `--skip-tags` would skip nothing.
 *
 * @example
 * selectionProblems({ tags: ['ngnix'] }, new Set(['nginx', 'app']))
 * // ['--tags ngnix: no task has this tag (did you mean nginx?; tags: app, nginx)']
 */
export function selectionProblems(sel: TagSelection, known: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const specials = [...TASK_SPECIAL_TAGS, ...SELECTION_ONLY_TAGS] as readonly string[];
  const list = [...known].sort();
  for (const [flag, names] of [['--tags', sel.tags], ['--skip-tags', sel.skipTags]] as const) {
    for (const name of names ?? []) {
      if (!WORD.test(name)) { problems.push(`${flag} ${JSON.stringify(name)}: a tag is one plain word (letters, digits, _ - .)`); continue; }
      if (specials.includes(name) || known.has(name)) continue;
      const near = closestMatch(name, [...list, ...specials]);
      const hint = [near && `did you mean ${near}?`, list.length ? `tags: ${list.join(', ')}` : 'no task has any tag'].filter(Boolean).join('; ');
      problems.push(`${flag} ${name}: no task has this tag (${hint})`);
    }
  }
  return problems;
}
