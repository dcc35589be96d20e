/** waitFor: a port, an HTTP answer or a command, checked on the host with bash alone (no curl). */
import { quote } from '../transport/quote.js';
import { absolutePathProblem } from './common.js';
import type { Action, OpSpec } from './types.js';

export interface WaitForArgs {
  /** A TCP port that must accept connections (with `path`: answer HTTP). Give `port` or `command`. */
  port?: number;
  /** Where the port is, as seen from the host (default `127.0.0.1`). */
  host?: string;
  /** Makes it an HTTP check: `GET <path>` over HTTP/1.0, judged by the status line. */
  path?: string;
  /**
   * `http://127.0.0.1:5000/health`: the same as `host`, `port` (default 80) and `path` (with the
   * query), the `Host` header as the URL has it. http:// only: the check is bash's /dev/tcp, which
   * speaks no TLS (for https, give `port`, or `command` with curl).
   */
  url?: string;
  /** Accepted HTTP status (or list); default any status below 500, so a 502 fails. */
  status?: number | number[];
  /** The `Host` header of the HTTP check (default `host`, with the port unless 80). */
  hostHeader?: string;
  /** A shell command that must exit 0, instead of a port. It also runs in the probe. */
  command?: string;
  /** Seconds to keep trying before failing (default 30). */
  timeout?: number;
  /** Log files whose last lines are shown in the error when the wait fails. */
  logFile?: string | string[];
  /** One line put in the error after the summary when the wait fails: what it means. */
  message?: string;
}

/** Seconds the probe's single attempt may take: it delays the host's batched probe at most this long. */
const PROBE_ATTEMPT = 3;
/** Seconds one attempt of a port or HTTP check may take while waiting. */
const ATTEMPT = 5;
/** Lines of error text the error report keeps (ShipshapeError.explain shows the last 20). */
const ERROR_LINES = 20;
const HOST = /^[A-Za-z0-9._:-]+$/;
const HOST_HEADER = /^[A-Za-z0-9._:[\]-]+$/;

const hostOf = (a: WaitForArgs) => a.host ?? '127.0.0.1';

/** A url's parts as waitFor's own options, or why it cannot be one. */
function urlParts(url: string): Pick<WaitForArgs, 'host' | 'port' | 'path' | 'hostHeader'> | string {
  let u: URL;
  try { u = new URL(url); } catch { return `url ${JSON.stringify(url)} must be an http:// URL like http://127.0.0.1:5000/health`; }
  if (u.protocol === 'https:') {
    return `url ${JSON.stringify(url)} is HTTPS, which waitFor cannot speak (it checks with bash alone, no TLS): give port ${u.port || 443} to wait until it accepts connections, or command: 'curl -fsS ${u.href}' when the host has curl`;
  }
  if (u.protocol !== 'http:') return `url ${JSON.stringify(url)} must be an http:// URL like http://127.0.0.1:5000/health`;
  if (u.username || u.password) return `url ${JSON.stringify(url)} must not hold a user or password: waitFor sends no credentials`;
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: u.port ? Number(u.port) : 80, path: `${u.pathname}${u.search}`, hostHeader: u.host };
}

/** The args with `url` spelled out as host, port, path and the Host header (an explicit `hostHeader` wins). */
function expand(a: WaitForArgs): WaitForArgs {
  if (typeof a.url !== 'string') return a;
  const parts = urlParts(a.url);
  if (typeof parts === 'string') return a;
  const { url: _url, ...rest } = a;
  return { ...rest, ...parts, hostHeader: a.hostHeader ?? parts.hostHeader };
}
const logFiles = (a: WaitForArgs) => (a.logFile === undefined ? [] : Array.isArray(a.logFile) ? a.logFile : [a.logFile]);
const statuses = (a: WaitForArgs) => (a.status === undefined ? [] : Array.isArray(a.status) ? a.status : [a.status]);

/** `port 5000`, `db:5432` or `command "pg_isready"`: what is waited for, in messages. */
function target(a: WaitForArgs): string {
  if (a.command !== undefined) return `command ${JSON.stringify(oneLine(a.command))}`;
  const h = hostOf(a);
  return h === '127.0.0.1' ? `port ${a.port}` : `${h.includes(':') ? `[${h}]` : h}:${a.port}`;
}

/** What "ready" means: `answer GET / with HTTP status below 500`, `accept connections`, `exit 0`. */
function expectation(a: WaitForArgs): string {
  if (a.command !== undefined) return 'exit 0';
  if (a.path === undefined) return 'accept connections';
  const s = statuses(a);
  const wanted = s.length === 0 ? 'a status below 500' : `HTTP ${s.length === 1 ? s[0] : `${s.slice(0, -1).join(', ')} or ${s[s.length - 1]}`}`;
  return `answer GET ${a.path} with ${wanted}`;
}

/** bash `case` pattern of the accepted statuses. */
function statusPattern(a: WaitForArgs): string {
  const s = statuses(a);
  return s.length === 0 ? '[1-4][0-9][0-9]' : s.join('|');
}

function hostHeader(a: WaitForArgs): string {
  if (a.hostHeader !== undefined) return a.hostHeader;
  const h = hostOf(a).includes(':') ? `[${hostOf(a)}]` : hostOf(a);
  return a.port === 80 ? h : `${h}:${a.port}`;
}

// Sets `last` from a failed attempt's exit code and output: bash's first complaint, `connect:
// Connection refused` or `<host>: Name or service not known`, without its prefix.
const FAILED = `failed() {
  if [ "$1" -eq 124 ]; then last="no answer within $3 s"; return; fi
  local l=\${2%%$'\\n'*}; last=\${l##*: }; last=\${last//[^[:print:]]/?}
  [ -n "$last" ] || last="exit $1"
}
`;

/**
 * bash defining `try_once SECONDS`: one attempt, true when ready; `last` says what was seen.
 * Values reach the inner bash as arguments, each quoted once.
 */
function tryOnce(a: WaitForArgs): string {
  if (a.command !== undefined) {
    return `${FAILED}try_once() {
  local out rc; out=$(timeout "$1" sh -c ${quote(a.command)} </dev/null 2>&1); rc=$?
  if [ $rc -eq 0 ]; then last='exit 0'; return 0; fi
  if [ $rc -eq 124 ]; then last="still running after $1 s"; return 1; fi
  out=\${out%$'\\n'}; out=\${out##*$'\\n'}; out=\${out//[^[:print:]]/?}; last="exit $rc\${out:+: \${out:0:120}}"; return 1
}
`;
  }
  const connect = `exec 3<>"/dev/tcp/$1/$2" || exit 3`;
  if (a.path === undefined) {
    return `${FAILED}try_once() {
  local out rc; out=$(timeout "$1" bash -c ${quote(connect)} _ ${quote(hostOf(a))} ${quote(a.port!)} 2>&1); rc=$?
  if [ $rc -eq 0 ]; then last='accepts connections'; return 0; fi
  failed $rc "$out" "$1"; return 1
}
`;
  }
  // A peer that closes early makes printf fail (no SIGPIPE death) or read see nothing.
  const http = `trap '' PIPE; ${connect}
printf 'GET %s HTTP/1.0\\r\\nHost: %s\\r\\nUser-Agent: shipshape\\r\\nConnection: close\\r\\n\\r\\n' "$3" "$4" >&3 2>/dev/null || exit 4
IFS= read -r line <&3 2>/dev/null; printf '%s\\n' "$line"`;
  return `${FAILED}try_once() {
  local out rc line; out=$(timeout "$1" bash -c ${quote(http)} _ ${quote(hostOf(a))} ${quote(a.port!)} ${quote(a.path!)} ${quote(hostHeader(a))} 2>&1); rc=$?
  if [ $rc -eq 4 ]; then out=''; elif [ $rc -ne 0 ]; then failed $rc "$out" "$1"; return 1; fi
  line=\${out%%$'\\n'*}; line=\${line%$'\\r'}
  if [[ $line =~ ^HTTP/[0-9.]+\\ +([0-9][0-9][0-9]) ]]; then
    last="HTTP \${BASH_REMATCH[1]}"
    case \${BASH_REMATCH[1]} in ${statusPattern(a)}) return 0 ;; esac; return 1
  fi
  line=\${line//[^[:print:]]/?}
  if [ -z "$line" ]; then last='the connection closed without an HTTP answer'; else last="not an HTTP answer: \${line:0:60}"; fi
  return 1
}
`;
}

/** `bash -c <script>` for sh, with a clear verdict when the host has no bash. */
function inBash(script: string, noBash: string): string {
  return `if command -v bash >/dev/null 2>&1; then bash -c ${quote(script)}; else ${noBash}; fi`;
}

// Lines that differ only in numbers (timestamps, pids) in a row are shown once with a count:
// seventeen "worker N was terminated" lines must not push the traceback out of the tail.
const SQUEEZE = `{ k = $0; gsub(/[0-9]+/, "#", k); if (k == p) { n++; next } if (n) print "    (" n " more like the line above)"; n = 0; p = k; print }
END { if (n) print "    (" n " more like the line above)" }`;

// The last line naming an error (`SyntaxError: …`, `ValueError: …`) with the lines before it
// (a Python traceback puts the file and line there): shown when the tail would miss it, since
// what a crashing program logs last is often how it shut down, not why. When the error line is
// in the tail but its context is not (a line or two were logged after it), the context lines
// before the tail are shown on their own, joining it with no gap.
const ERROR_LINE = '[A-Za-z](Error|Exception): ';
const ERROR_CONTEXT = 3;

/** bash printing the last lines of each log file, all of them fitting in `budget` lines. */
function logTails(files: string[], budget: number): string {
  if (files.length === 0) return '';
  // Each file's share keeps room for its error line, its context and a "(...)" line.
  const extra = ERROR_CONTEXT + 2;
  return `squeeze=${quote(SQUEEZE)}; set -- ${files.map((f) => quote(f)).join(' ')}
short=0; long=0
for f; do if [ -s "$f" ] && [ -r "$f" ]; then long=$((long + 1)); else short=$((short + 1)); fi; done
per=3; if [ $long -gt 0 ] && [ $(( (${budget} - short - long) / long - ${extra} )) -gt 3 ]; then per=$(( (${budget} - short - long) / long - ${extra} )); fi
for f; do
  if [ ! -e "$f" ]; then echo "--- $f does not exist"
  elif [ ! -r "$f" ]; then echo "--- $f cannot be read"
  elif [ ! -s "$f" ]; then echo "--- $f is empty"
  else
    echo "--- last lines of $f:"; w=$(tail -n 500 -- "$f" | awk "$squeeze"); n=$(printf '%s\n' "$w" | wc -l)
    e=$(printf '%s\n' "$w" | grep -nE ${quote(ERROR_LINE)} | tail -n 1 | cut -d: -f1)
    if [ -n "$e" ]; then
      from=$((e > ${ERROR_CONTEXT} ? e - ${ERROR_CONTEXT} : 1)); upto=$((n - per))
      if [ "$e" -le "$upto" ]; then
        printf '%s\n' "$w" | sed -n "\${from},\${e}p" | cut -c1-300; if [ "$e" -lt "$upto" ]; then echo '    (...)'; fi
      elif [ "$from" -le "$upto" ]; then
        printf '%s\n' "$w" | sed -n "\${from},\${upto}p" | cut -c1-300
      fi
    fi
    printf '%s\n' "$w" | tail -n "$per" | cut -c1-300
  fi
done
`;
}

/**
 * Waits until a port accepts connections, answers HTTP with an accepted status, or a command
 * exits 0. The probe makes one quick attempt, so a run where it is already ready costs nothing
 * more; otherwise apply retries until `timeout`, then fails naming the host, what it waited
 * for, the last answer, and the tail of `logFile`. Needs only bash and coreutils on the host.
 *
 * @example
 * host('web-01').waitFor({ port: 5000, path: '/', timeout: 30, logFile: '/var/log/gunicorn-error.log' })
 */
export const waitForOp: OpSpec<WaitForArgs> = {
  kind: 'waitFor',
  keys: {
    port: 'number', host: 'string', path: 'string', url: 'string', status: 'number | number[]', hostHeader: 'string', command: 'string', timeout: 'number',
    logFile: 'string | string[]', message: 'string',
  },
  describe(given) {
    const a = expand(given);
    return `waitFor ${a.path !== undefined ? `GET ${a.path} on ` : ''}${target(a)}`;
  },

  validate(given) {
    const problems: string[] = [];
    if (given.url !== undefined) {
      const parts = urlParts(given.url);
      if (typeof parts === 'string') return [parts];
      if (given.command !== undefined) return ['give either url or command, not both'];
      const doubled = (['host', 'port', 'path'] as const).filter((k) => given[k] !== undefined);
      if (doubled.length) return [`url gives host, port and path already: leave out ${doubled.join(', ')}`];
    }
    const a = expand(given);
    const isInt = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
    if (a.port === undefined && a.command === undefined) problems.push('give port (a TCP port to wait for) or command (a shell command that must exit 0)');
    if (a.port !== undefined && a.command !== undefined) problems.push('give either port or command, not both');
    if (a.port !== undefined && !isInt(a.port, 1, 65535)) problems.push(`port ${JSON.stringify(a.port)} must be a whole number from 1 to 65535`);
    if (a.command !== undefined && (typeof a.command !== 'string' || a.command.trim() === '' || a.command.includes('\0'))) {
      problems.push(`command ${JSON.stringify(a.command)} must be a non-empty shell command`);
    }
    if (a.host !== undefined && (typeof a.host !== 'string' || !HOST.test(a.host))) problems.push(`host ${JSON.stringify(a.host)} must be a host name or IP address`);
    if (a.path !== undefined && (typeof a.path !== 'string' || !/^\/[\x21-\x7e]*$/.test(a.path))) {
      problems.push(`path ${JSON.stringify(a.path)} must start with / and have no spaces or control characters (percent-encode them)`);
    }
    if (a.status !== undefined) {
      const list = Array.isArray(a.status) ? a.status : [a.status];
      if (list.length === 0 || !list.every((s) => isInt(s, 100, 599))) problems.push(`status ${JSON.stringify(a.status)} must be an HTTP status from 100 to 599, or a list of them`);
    }
    if (a.hostHeader !== undefined && (typeof a.hostHeader !== 'string' || !HOST_HEADER.test(a.hostHeader))) problems.push(`hostHeader ${JSON.stringify(a.hostHeader)} must be a host name, optionally with :port`);
    if (a.command !== undefined) {
      for (const k of ['host', 'path', 'status', 'hostHeader'] as const) if (a[k] !== undefined) problems.push(`${k} goes with port, not with command`);
    } else if (a.path === undefined) {
      for (const k of ['status', 'hostHeader'] as const) if (a[k] !== undefined) problems.push(`${k} needs path: it applies to HTTP checks`);
    }
    if (a.timeout !== undefined && !isInt(a.timeout, 1, 86400)) problems.push(`timeout ${JSON.stringify(a.timeout)} must be a whole number of seconds from 1 to 86400`);
    if (a.logFile !== undefined) {
      const files = Array.isArray(a.logFile) ? a.logFile : [a.logFile];
      if (files.length === 0) problems.push('logFile must be a path or a non-empty list of paths');
      for (const f of files) { const p = absolutePathProblem('logFile', f); if (p) problems.push(p); }
    }
    if (a.message !== undefined && (typeof a.message !== 'string' || /[\n\r\0]/.test(a.message))) problems.push(`message ${JSON.stringify(a.message)} must be one line of text`);
    return problems;
  },

  probe: (given) => inBash(`${tryOnce(expand(given))}if try_once ${PROBE_ATTEMPT}; then echo "ok $last"; else echo "fail $last"; fi`, "echo 'fail bash is not installed'"),

  diff(given, probed, ctx) {
    const a = expand(given);
    const line = probed.stdout.trim().split('\n').pop() ?? '';
    const m = /^(ok|fail) ?(.*)$/.exec(line);
    if (m?.[1] === 'ok') {
      const how = a.command !== undefined ? 'exits 0' : a.path === undefined ? 'accepts connections' : `answers ${m[2]}`;
      return { changes: [], noop: `${target(a)} ${how}` };
    }
    const last = m?.[2] || 'the probe printed nothing';
    // In check mode earlier tasks did not run, so a failed attempt says little: "would wait".
    return { changes: [{ what: `wait for ${target(a)}`, before: last, after: expectation(a) }], unknown: ctx.check || undefined };
  },

  apply(given, _diff, ctx): Action[] {
    const a = expand(given);
    const timeout = a.timeout ?? 30;
    const attempt = a.command !== undefined ? timeout : ATTEMPT;
    const summary = `${ctx.host}: ${target(a)} did not ${expectation(a)} within ${timeout} s`;
    const headLines = 1 + (a.message ? 1 : 0);
    const script = `${tryOnce(a)}deadline=$((SECONDS + ${timeout})); n=0
while :; do
  n=$((n + 1)); t=$((deadline - SECONDS)); [ $t -le ${attempt} ] || t=${attempt}; [ $t -ge 1 ] || t=1
  if try_once $t; then echo ${quote(`${target(a)} ready:`)} "$last (after $SECONDS s, $n attempt$([ $n -eq 1 ] || echo s))"; exit 0; fi
  [ $SECONDS -lt $deadline ] || break
  sleep 0.2 2>/dev/null || sleep 1
done
{
echo ${quote(summary)} "(last: $last; $n attempt$([ $n -eq 1 ] || echo s))"
${a.message ? `echo ${quote(a.message)}\n` : ''}${logTails(logFiles(a), ERROR_LINES - headLines)}} >&2
exit 1`;
    return [{
      kind: 'exec', command: inBash(script, "echo 'waitFor needs bash on the host' >&2; exit 1"), timeoutMs: (timeout + attempt + 30) * 1000,
      failure: summary, shown: `waitFor ${target(a)} (bash /dev/tcp, retried for ${timeout} s)`,
    }];
  },
};

function oneLine(s: string): string {
  const first = s.trim().split('\n')[0] ?? '';
  const l = first.length < s.trim().length ? `${first} …` : first;
  return l.length > 60 ? `${l.slice(0, 59)}…` : l;
}
