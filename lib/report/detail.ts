/**
 * What `-v`, `-vv` and `--quiet` change in the terminal reporters: the lines for commands
 * sent, probe output and timings (kept per task, shown under the task's line), which events
 * `--quiet` keeps, and the one line that stands for the tasks a failure skipped.
 */
import { escapeLine, escapeText } from './escape.js';
import type { EngineEvent, TaskResult } from './events.js';
import { MASK, redact } from './redact.js';

/** -1 `--quiet`, 0 default, 1 `-v`, 2 `-vv` (more v's show no more). */
export type Verbosity = -1 | 0 | 1 | 2;

/**
 * The level reporter options ask for.
 *
 * @example
 * verbosityOf({ verbosity: 3 })   // 2
 */
export function verbosityOf(o: { quiet?: boolean; verbosity?: number }): Verbosity {
  return o.quiet ? -1 : (Math.max(0, Math.min(2, Math.floor(o.verbosity ?? 0))) as Verbosity);
}

/** A command is shown on one line; past this many characters the rest is counted, not shown. */
const COMMAND_CHARS = 2000;
/** Lines of a probe's output shown at -vv; the rest are counted. */
const PROBE_LINES = 40;
const INDENT = '    ';

/**
 * Base64 in probe output (a file's content) holding a secret is masked whole: redaction
 * cannot see a secret through the encoding.
 */
function maskEncodedSecrets(text: string): string {
  return text.replace(/[A-Za-z0-9+/]{8,}={0,2}/g, (b64) => {
    if (b64.length % 4) return b64;
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.toString('base64') !== b64) return b64;
    const decoded = bytes.toString('utf8');
    return redact(decoded) === decoded ? b64 : MASK;
  });
}

const clip = (s: string) => (s.length > COMMAND_CHARS ? `${s.slice(0, COMMAND_CHARS)}… (${s.length - COMMAND_CHARS} more characters)` : s);

/**
 * A command or an upload as `-v` shows it, on one line, redacted: `$ cmd` as the login user,
 * `root# cmd` (or `www$ cmd`) with become.
 *
 * @example
 * commandLine({ type: 'command', host: 'web-01', phase: 'apply', command: 'nginx -t', become: 'root' })   // 'root# nginx -t'
 */
export function commandLine(e: Extract<EngineEvent, { type: 'command' | 'upload' }>): string {
  const prompt = e.become === undefined ? '$' : e.become === 'root' ? 'root#' : `${e.become}$`;
  if (e.type === 'upload') return escapeLine(redact(`put ${e.path} (${e.bytes} byte${e.bytes === 1 ? '' : 's'}${e.become ? `, as ${e.become}` : ''})`));
  return `${escapeLine(redact(prompt))} ${clip(escapeLine(redact(e.command)))}`;
}

/**
 * A probe's output as `-vv` shows it: a head line, then the output indented (redacted, control
 * characters escaped, base64 that holds a secret masked), at most {@link PROBE_LINES} lines.
 *
 * @example
 * probeLines({ type: 'task-probe', task, stdout: 'file 644 root root\n', code: 0, batched: true, durationMs: 0 })
 * // ['probe (batched) exit 0:', '  file 644 root root']
 */
export function probeLines(e: Extract<EngineEvent, { type: 'task-probe' }>): string[] {
  const head = `probe (${e.batched ? 'batched' : `${e.durationMs} ms`}) exit ${e.code}`;
  if (e.hidden) return [`${head}: output not shown (the task holds a secret)`];
  const lines = escapeText(maskEncodedSecrets(redact(e.stdout))).replace(/\n$/, '').split('\n');
  if (lines.length === 1 && lines[0] === '') return [`${head}, no output`];
  const shown = lines.slice(0, PROBE_LINES).map((l) => `  ${l}`);
  if (lines.length > PROBE_LINES) shown.push(`  … ${lines.length - PROBE_LINES} more lines`);
  return [`${head}:`, ...shown];
}

const kb = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`);

/**
 * The batched probe of a host: at `-v` what was sent, at `-vv` also what came back and how long
 * it took.
 *
 * @example
 * batchLine({ type: 'probe-batch', host: 'web-01', probes: 12, answered: 12, scriptBytes: 9000, outputBytes: 2100, durationMs: 41 }, 2)
 * // 'batched probe: 12 task probes and the facts in one script (8.8 KB); 2.1 KB back in 41 ms'
 * batchLine({ type: 'probe-batch', host: 'web-01', probes: 3, answered: 3, scriptBytes: 2000, outputBytes: 500, durationMs: 30, again: true }, 1)
 * // 'batched probe again: 3 task probes a change made stale, in one script (2.0 KB)'
 */
export function batchLine(e: Extract<EngineEvent, { type: 'probe-batch' }>, level: Verbosity): string {
  const alone = e.probes - e.answered;
  const sent = e.again
    ? `batched probe again: ${e.probes} task probes a change made stale, in one script (${kb(e.scriptBytes)})`
    : `batched probe: ${e.probes} task probe${e.probes === 1 ? '' : 's'} and the facts in one script (${kb(e.scriptBytes)})`;
  const back = level >= 2 ? `; ${kb(e.outputBytes)} back in ${e.durationMs} ms` : '';
  return `${sent}${back}${alone > 0 ? `; ${alone} probe${alone === 1 ? '' : 's'} left out (too large for one script), run on their own` : ''}`;
}

/**
 * A task's timings at `-vv`, or undefined for a task that did not run (skipped).
 *
 * @example
 * timingLine({ status: 'changed', changes: [], probeMs: 0, applyMs: 120, durationMs: 130 })   // 'took 130 ms: probe 0 ms, apply 120 ms'
 */
export function timingLine(r: TaskResult): string | undefined {
  if (r.probeMs === undefined) return undefined;
  return `took ${r.durationMs} ms: probe ${r.probeMs} ms, apply ${r.applyMs ?? 0} ms`;
}

/**
 * What `--quiet` still shows: problems, warnings, failures (their errors) and the recap.
 *
 * @example
 * quietShows({ type: 'run-start', hosts: [], tasks: 0, check: false, diff: false })   // false
 */
export function quietShows(e: EngineEvent): boolean {
  if (e.type === 'task-end') return e.result.status === 'failed' || e.result.status === 'unreachable';
  return ['plan-invalid', 'warning', 'host-unreachable', 'rollout-stopped', 'run-end'].includes(e.type);
}

/**
 * Whether the terminal reporters may write for this event now: not for details kept for a
 * task's line, nor for details this level does not show (so the live block is not redrawn and
 * no pending line is written for them).
 *
 * @example
 * writesNow({ type: 'task-probe', task, stdout: '', code: 0, batched: true, durationMs: 0 }, 2)   // false
 */
export function writesNow(e: EngineEvent, level: Verbosity): boolean {
  if (e.type === 'task-probe') return false;
  if (e.type === 'command' || e.type === 'upload') return level >= 1 && !e.task;
  if (e.type === 'probe-batch') return level >= 1;
  return true;
}

/** The host an event is about; undefined for the run as a whole. */
export function hostOf(e: EngineEvent): string | undefined {
  if ('task' in e && e.task) return e.task.host;
  return 'host' in e && typeof e.host === 'string' ? e.host : undefined;
}

/**
 * Detail lines kept per task until its status line is written, and the tasks of each host a
 * failure skipped, counted until something else happens on that host.
 *
 * @example
 * const d = new TaskDetail();
 * d.skipped('web-01', 'boom'); d.skipped('web-01', 'boom');
 * d.takeSkips('web-01')   // ['web-01 | 2 tasks skipped after the failure of "boom"']
 */
export class TaskDetail {
  private readonly lines = new Map<string, string[]>();
  private readonly skips = new Map<string, { count: number; after: string }[]>();

  /** Keeps a line (already redacted and escaped) for the task's status line. */
  add(taskId: string, ...lines: string[]): void {
    const list = this.lines.get(taskId) ?? [];
    list.push(...lines.map((l) => INDENT + l));
    this.lines.set(taskId, list);
  }

  /** The task's lines, forgotten once taken. */
  take(taskId: string): string[] {
    const list = this.lines.get(taskId) ?? [];
    this.lines.delete(taskId);
    return list;
  }

  skipped(host: string, after: string): void {
    const list = this.skips.get(host) ?? [];
    const last = list[list.length - 1];
    if (last && last.after === after) last.count++;
    else list.push({ count: 1, after });
    this.skips.set(host, list);
  }

  /**
   * The summary lines of the host's counted skips (every host's when `host` is undefined),
   * forgotten once taken: `web-01 | 12 tasks skipped after the failure of "template /etc/app.conf"`.
   */
  takeSkips(host?: string): string[] {
    const out: string[] = [];
    for (const [h, list] of this.skips) {
      if (host !== undefined && h !== host) continue;
      this.skips.delete(h);
      for (const s of list) out.push(escapeLine(redact(`${h} | ${s.count} task${s.count === 1 ? '' : 's'} skipped after the failure of "${s.after}"`)));
    }
    return out;
  }
}
