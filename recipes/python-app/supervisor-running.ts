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
 * Lines of a shell function (with `r`, the root, set) that return 1 unless supervisorctl
 * would read `$r/etc/supervisor/supervisord.conf`, and else set `conf` to it: supervisorctl
 * takes the first of these files that exists, and only the last is read here.
 */
const DEBIAN_CONF = [
  '  s=$(command -v supervisorctl) || return 1; here=${s%/*}; here=${here%/*}',
  '  for c in "$here/etc/supervisord.conf" "$here/supervisord.conf" supervisord.conf etc/supervisord.conf "$r/etc/supervisord.conf"; do [ -e "$c" ] && return 1; done',
  '  conf="$r/etc/supervisor/supervisord.conf"; [ -f "$conf" ] || return 1',
];

/**
 * A shell script that exits 0 when `program` is RUNNING (or STARTING) under supervisord. /proc answers "yes"
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
    ...DEBIAN_CONF,
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
    // STARTING too: a program the restart handler just started (without waiting out startsecs)
    // is on its way, and the health check after this judges whether it serves.
    "supervisorctl status \"$p\" 2>/dev/null | grep -Eq ' (RUNNING|STARTING)( |$)'",
  ].join('\n');
}

/**
 * A shell script that restarts `program` under supervisord: stopped, then started without
 * waiting out `startsecs` (supervisorctl's `restart` waits it, 1 s by default), as the health
 * check that follows a restart is the judge of whether it serves. It talks to supervisord's
 * socket with Python's own XML-RPC client when supervisorctl would read
 * `/etc/supervisor/supervisord.conf` and that names a unix socket without a password;
 * otherwise, or when that fails, it runs `supervisorctl restart`.
 *
 * @example
 * h.shell(supervisorRestart('app'), { name: 'supervisorctl restart app' })
 */
export function supervisorRestart(program: string, o: Pick<SupervisorRunningOptions, 'root'> = {}): string {
  const py = [
    'import socket, sys, http.client, xmlrpc.client',
    'path, name = sys.argv[1], sys.argv[2]',
    'class C(http.client.HTTPConnection):',
    '    def connect(self):',
    '        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); self.sock.settimeout(60); self.sock.connect(path)',
    'class T(xmlrpc.client.Transport):',
    '    def make_connection(self, host): return C("localhost")',
    's = xmlrpc.client.ServerProxy("http://localhost/RPC2", transport=T())',
    'try: s.supervisor.stopProcess(name, True)',
    'except xmlrpc.client.Fault as e:',
    '    if e.faultCode != 70: raise',
    's.supervisor.startProcess(name, False)',
    'print(name + ": restarted")',
  ].join('\n');
  return [
    `# restart ${program} under supervisord (its socket, else supervisorctl restart)`,
    `r=${quote(o.root ?? '')}; p=${quote(program)}`,
    'sock() {',
    '  command -v python3 >/dev/null 2>&1 || return 1',
    ...DEBIAN_CONF,
    // What supervisorctl connects to: [supervisorctl] serverurl, with no username in that section.
    "  sect=$(sed -n '/^\\[supervisorctl\\]/,/^\\[/p' \"$conf\")",
    "  printf '%s\\n' \"$sect\" | grep -Eq '^[[:space:]]*(username|password)[[:space:]]*=' && return 1",
    "  u=$(printf '%s\\n' \"$sect\" | sed -n 's/^[[:space:]]*serverurl[[:space:]]*=[[:space:]]*unix:\\/\\/\\([^;[:space:]]*\\).*/\\1/p')",
    '  case $u in /*) ;; *) return 1 ;; esac',
    '  case $u in *%*) return 1 ;; esac',
    '  [ -S "$r$u" ] || return 1; printf %s "$r$u"',
    '}',
    `if u=$(sock) && python3 -S -c ${quote(py)} "$u" "$p"; then exit 0; fi`,
    'supervisorctl restart "$p"',
  ].join('\n');
}
