// One `stat` and one `sha256sum` for all the files a batched probe reads, instead of one of
// each per task: on a host, every process a probe starts costs a few milliseconds, and a
// plan's file, template and copy tasks are most of its probes. The batch's prelude runs
// them once in the batch's own shell and keeps their output in variables; statProbe and
// contentProbe look a path up there with shell builtins (no process) and run their own
// command when the path is not there (not listed, absent, a link, or a probe run alone).
import { quote } from '../transport/quote.js';

/** Paths a probe stats and hashes, so a batch can read them in one command each. */
export interface ProbePaths {
  stat?: string[];
  sum?: string[];
}

// A path is left to its own command when its line could not be told apart: a newline or a
// backslash (sha256sum escapes those), `|` (the stat line's separator), or two spaces in a
// row (the sha256sum line's separator).
const listable = (p: string) => p !== '' && !/[\n\\|]|\s\s/.test(p);

/** statProbe's line for an existing path that is not a link: stat's `%F` type, mode, owner, group, uid, gid. */
const STAT_FORMAT = '%F %a %U %G %u %g';

/** Bytes of paths one list may hold: the rest probe with their own commands, and the batch stays small. */
const LIST_BYTES = 16 * 1024;

function capped(paths: string[]): string[] {
  let bytes = 0;
  return paths.filter((p) => (bytes += Buffer.byteLength(p) + 3) <= LIST_BYTES);
}

/**
 * The prelude of a batch: `ss_st` holds `<stat line>|<path>` for each path of `stat` that
 * exists, `ss_sums` the sha256sum lines of the regular files of `sum` (tested first, as the
 * probes do: a FIFO is never read), and `ss_stat`/`ss_sum` look them up. Empty when there is
 * nothing to list.
 *
 * @example
 * memoPrelude({ stat: ['/etc/motd'], sum: ['/etc/motd'] })   // 'ss_memo=1; … ss_st=$(stat -c … -- /etc/motd 2>/dev/null) …'
 */
export function memoPrelude(paths: ProbePaths): string {
  const stat = capped([...new Set((paths.stat ?? []).filter(listable))]);
  const sum = capped([...new Set((paths.sum ?? []).filter(listable))]);
  if (!stat.length && !sum.length) return '';
  return [
    "ss_memo=1; ss_nl='\n'; ss_st=; ss_sums=",
    ...(stat.length ? [`ss_st=$(stat -c '${STAT_FORMAT}|%n' -- ${stat.map(quote).join(' ')} 2>/dev/null)`] : []),
    ...(sum.length ? [`set --; for ss_f in ${sum.map(quote).join(' ')}; do if [ -f "$ss_f" ] && [ ! -L "$ss_f" ]; then set -- "$@" "$ss_f"; fi; done; if [ $# -gt 0 ]; then ss_sums=$(sha256sum -- "$@" 2>/dev/null); fi; set --`] : []),
    // ss_find DATA SUFFIX: ss_r is the part before SUFFIX of the first line of DATA ending in it.
    'ss_find() { ss_rest=$1; while [ -n "$ss_rest" ]; do ss_l=${ss_rest%%"$ss_nl"*}; case $ss_rest in *"$ss_nl"*) ss_rest=${ss_rest#*"$ss_nl"} ;; *) ss_rest= ;; esac; case $ss_l in *"$2") ss_r=${ss_l%"$2"}; return 0 ;; esac; done; return 1; }',
    'ss_stat() { ss_find "$ss_st" "|$1" && printf \'%s\\n\' "$ss_r"; }',
    'ss_sum() { ss_find "$ss_sums" "  $1" && case $ss_r in *[!0-9a-f]*|"") return 1 ;; esac; }',
  ].join('\n');
}

/**
 * Shell printing the stat line of an existing, non-link path: from the batch's prelude when
 * it has it, else by running stat.
 */
export function memoStat(path: string): string {
  const p = quote(path);
  return `{ [ -n "\${ss_memo-}" ] && ss_stat ${p}; } || stat -c '${STAT_FORMAT}' ${p}`;
}

/**
 * Shell setting `ss_h` to the `<sha256>  -` line of a regular file: from the batch's prelude
 * when it has it, else by running sha256sum on it.
 */
export function memoSum(path: string): string {
  const p = quote(path);
  return `if [ -n "\${ss_memo-}" ] && ss_sum ${p}; then ss_h="$ss_r  -"; else ss_h=$(sha256sum < ${p}); fi`;
}
