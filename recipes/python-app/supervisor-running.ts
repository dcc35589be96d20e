/**
 * Whether a supervisor program is RUNNING, asked without starting Python: supervisorctl is a
 * Python program (0.2-0.3 s of CPU), so the answer is read from /proc when that is safe, and
 * supervisorctl is asked otherwise.
 */
import { quote } from '../../lib/index.js';

export interface SupervisorRunningOptions {
  /** supervisord's `startsecs` for the program: it is RUNNING only after being up that long (default 1, supervisor's). */
  startsecs?: number;
  /** A folder standing for `/` (for tests over fixture trees of /proc, /etc and /run). */
  root?: string;
}

/**
 * A shell script that exits 0 when `program` is RUNNING under supervisord. /proc answers "yes"
 * only when all of this holds, else `supervisorctl status <program>` decides:
 * - supervisorctl would read `/etc/supervisor/supervisord.conf` (none of the files it looks at
 *   first exists), and that file names one absolute `pidfile`;
 * - the pidfile holds the PID of a live process whose argv runs `supervisord`;
 * - a direct child of it, not a zombie, has `SUPERVISOR_PROCESS_NAME=<program>` and
 *   `SUPERVISOR_GROUP_NAME=<program>` in its environment (supervisord sets them for the
 *   process it spawns: the name, not the command, says which program it is);
 * - that child has been up more than `startsecs` + 1 s (supervisord moves STARTING
 *   to RUNNING on its next tick after startsecs).
 * A "no" from /proc is never trusted: supervisorctl is asked, so a slow answer is the worst case.
 *
 * @example
 * t.shell(startIt, { unless: supervisorRunning('app'), name: 'app running under supervisor' })
 */
export function supervisorRunning(program: string, o: SupervisorRunningOptions = {}): string {
  const min = (o.startsecs ?? 1) + 1;
  return [
    `# ${program} RUNNING under supervisord (/proc, else supervisorctl status)`,
    `r=${quote(o.root ?? '')}; p=${quote(program)}; nl='`,
    "'",
    'running() {',
    '  s=$(command -v supervisorctl) || return 1; here=${s%/*}; here=${here%/*}',
    // supervisorctl takes the first of these that exists; only the last is read here.
    '  for c in "$here/etc/supervisord.conf" "$here/supervisord.conf" supervisord.conf etc/supervisord.conf "$r/etc/supervisord.conf"; do [ -e "$c" ] && return 1; done',
    '  conf="$r/etc/supervisor/supervisord.conf"; [ -f "$conf" ] || return 1',
    "  pf=$(sed -n 's/^[[:space:]]*pidfile[[:space:]]*=[[:space:]]*\\([^[:space:];]*\\).*/\\1/p' \"$conf\")",
    '  case $pf in /*) ;; *) return 1 ;; esac',
    '  case $pf in *"$nl"*|*%*) return 1 ;; esac',
    '  [ -f "$r$pf" ] || return 1; spid=; read -r spid < "$r$pf"',
    '  case $spid in ""|*[!0-9]*) return 1 ;; esac',
    '  proc="$r/proc"; read -r l 2>/dev/null < "$proc/$spid/stat" || return 1; set -- ${l##*) }',
    '  case $1 in Z|X|x) return 1 ;; esac',
    '  a=$(tr "\\000" "\\n" 2>/dev/null < "$proc/$spid/cmdline") || return 1',
    '  case "$nl$a$nl" in *"/supervisord$nl"*|*"${nl}supervisord$nl"*) ;; *) return 1 ;; esac',
    '  read -r up _ < "$proc/uptime" || return 1; up=${up%.*}; hz=$(getconf CLK_TCK) || return 1',
    '  case $up$hz in *[!0-9]*) return 1 ;; esac',
    // The kernel lists a process's children when built with CONFIG_PROC_CHILDREN; else every PID is looked at.
    '  kids=$(cat "$proc/$spid"/task/*/children 2>/dev/null) || kids=$(cd "$proc" && echo [0-9]*)',
    '  for c in $kids; do',
    '    read -r l 2>/dev/null < "$proc/$c/stat" || continue; set -- ${l##*) }',
    '    [ "$2" = "$spid" ] || continue',
    '    case $1 in Z|X|x) continue ;; esac',
    '    case ${20} in ""|*[!0-9]*) continue ;; esac',
    `    [ $((up - \${20} / hz)) -gt ${min} ] || continue`,
    '    e=$(tr "\\000" "\\n" 2>/dev/null < "$proc/$c/environ") || continue',
    '    case "$nl$e$nl" in *"${nl}SUPERVISOR_PROCESS_NAME=$p$nl"*) ;; *) continue ;; esac',
    '    case "$nl$e$nl" in *"${nl}SUPERVISOR_GROUP_NAME=$p$nl"*) return 0 ;; esac',
    '  done',
    '  return 1',
    '}',
    'running && exit 0',
    'supervisorctl status "$p" 2>/dev/null | grep -q RUNNING',
  ].join('\n');
}
