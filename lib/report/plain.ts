import pc from 'picocolors';
import { formatCallSite } from '../errors.js';
import { renderContentDiff } from './diff.js';
import { changeText } from './change-text.js';
import { escapeLine, escapeText } from './escape.js';
import type { EngineEvent, Reporter, TaskResult } from './events.js';
import { recap } from './recap.js';
import { redact } from './redact.js';
import { batchLine, commandLine, hostOf, probeLines, quietShows, TaskDetail, timingLine, verbosityOf, writesNow } from './detail.js';

export interface PlainReporterOptions {
  write?: (text: string) => void;
  color?: boolean;
  /** Print unified diffs of file contents. */
  diff?: boolean;
  /** Print lines for ok and skipped tasks too (default: yes). */
  verbose?: boolean;
  /** 1 (`-v`): the commands sent to hosts, under each task; 2 (`-vv`): also probe output and timings. */
  verbosity?: number;
  /** Only problems, warnings, failures and the recap (`--quiet`). */
  quiet?: boolean;
}

function statusText(r: TaskResult, check: boolean): string {
  if (check && r.wouldFail) return `would fail: ${r.wouldFail}`;
  if (check && r.status === 'changed') return (r.unknown ? 'would run' : 'would change');
  return r.status;
}

/** A name as shown: redacted, then on one line with control characters as escapes. */
const shown = (s: string) => escapeLine(redact(s));

/**
 * One line per task (`host | task | status`), diffs when asked, errors in full, and an
 * Ansible-style recap at the end. All text is redacted of secrets before anything else is
 * done to it; a status line is one line whatever names and values it holds (control
 * characters, newlines too, are shown as escapes such as `\n` and `\x1b`), and in longer text
 * (errors, remote stderr, diffs) every control character but newline and tab is.
 *
 * @example
 * await deploy({ reporter: plainReporter({ diff: true }) })
 */
export function plainReporter(o: PlainReporterOptions = {}): Reporter {
  const write = o.write ?? ((s: string) => process.stdout.write(s));
  const color = o.color ?? false;
  const c = pc.createColors(color);
  const paint = (status: string, s: string) => status === 'changed' ? c.yellow(s)
    : status === 'failed' || status === 'unreachable' || status === 'aborted' ? c.red(s) : status === 'skipped' ? c.cyan(s) : c.green(s);
  // Text of several lines; a status line goes through `line`. Colour comes after both.
  const out = (s: string) => write(escapeText(redact(s)) + '\n');
  const line = (status: string | undefined, s: string) => {
    const safe = escapeLine(redact(s));
    write((status ? paint(status, safe) : safe) + '\n');
  };
  let checking = false;
  const level = verbosityOf(o);
  const detail = new TaskDetail();
  const report = (e: EngineEvent) => {
    switch (e.type) {
      case 'plan-invalid':
        out(`The plan is invalid (${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}); no host was contacted:`);
        for (const p of e.problems) {
          const where = [p.host && `host ${shown(p.host)}`, p.task && `task "${shown(p.task)}"`].filter(Boolean).join(', ');
          // A problem is one line: names in messages are not always quoted.
          line(undefined, `  - ${where ? where + ': ' : ''}${p.message}`);
          if (p.callSite) line(undefined, `      at ${formatCallSite(p.callSite)}`);
        }
        break;
      case 'run-start':
        checking = e.check;
        out(`${e.check ? 'Checking' : 'Deploying'} ${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'}, ${e.tasks} task${e.tasks === 1 ? '' : 's'}` +
          `${e.leftOutByTags ? ` (${e.leftOutByTags} left out by tags)` : ''}${e.check ? ' (check mode: nothing is changed)' : ''}`);
        break;
      case 'batch-start':
        out(`batch ${e.batch}/${e.batches}: ${e.hosts.map(shown).join(', ')}`);
        break;
      case 'rollout-stopped':
        line('failed', `rollout stopped: ${e.reason}; not started: ${e.notStarted.map(shown).join(', ')}`);
        break;
      case 'handlers-pending':
        if (e.names.length) line('changed', `${shown(e.host)} | handlers pending from an earlier run: ${e.names.map(shown).join(', ')} | ${checking ? 'would run' : e.names.length === 1 ? 'it runs in this one' : 'they run in this one'}`);
        if (e.undeclared.length) line(undefined, `${shown(e.host)} | recorded as pending but not declared by this plan (left recorded): ${e.undeclared.map(shown).join(', ')}`);
        if (e.skippedByTags?.length) line(undefined, `${shown(e.host)} | pending from an earlier run, but --skip-tags skips it (left recorded): ${e.skippedByTags.map(shown).join(', ')}`);
        break;
      case 'warning':
        write(paint('changed', escapeText(redact(`${e.host ? `${shown(e.host)} | ` : ''}warning: ${e.message}`))) + '\n');
        break;
      case 'host-unreachable':
        write(paint('unreachable', escapeText(redact(`${shown(e.host)} | UNREACHABLE | ${e.error.message}`))) + '\n');
        out(e.error.explain().split('\n').slice(1).join('\n'));
        break;
      case 'task-retry': {
        const label = e.task.handler ? `handler ${shown(e.task.handler)}: ${shown(e.task.name)}` : shown(e.task.name);
        line('changed', `${shown(e.task.host)} | ${label} | retrying (${e.attempt}/${e.attempts})${e.delayMs ? ` in ${e.delayMs / 1000} s` : ''}: ${e.reason}`);
        break;
      }
      case 'task-end': {
        const r = e.result;
        if (o.verbose === false && (r.status === 'ok' || r.status === 'skipped')) break;
        const label = e.task.handler ? `handler ${shown(e.task.handler)}: ${shown(e.task.name)}` : shown(e.task.name);
        const extra = r.status === 'changed' ? ` (${r.changes.map(changeText).join(', ')})` : r.reason && (r.status === 'skipped' || r.status === 'aborted') ? ` (${r.reason})` : '';
        const unsure = r.uncertain ? ` | cannot know yet: ${r.uncertain}` : '';
        const tries = r.attempts && r.attempts > 1 ? ` | ${r.attempts} attempts` : '';
        line(r.status, `${shown(e.task.host)} | ${label} | ${statusText(r, e.check)}${extra}${unsure}${tries}`);
        // Kept while the task ran (already redacted and escaped); shown under its line.
        const timing = level >= 2 ? timingLine(r) : undefined;
        for (const l of [...detail.take(e.task.id), ...(timing ? [`    ${timing}`] : [])]) write(c.dim(l) + '\n');
        if (o.diff && r.status === 'changed') {
          for (const c of r.changes) {
            // Already redacted and escaped line by line (and maybe coloured).
            const d = renderContentDiff(c, color);
            if (d) write(d.trimEnd() + '\n');
          }
        }
        if (r.error && !r.wouldFail) out(r.error.explain().split('\n').map((l, i) => (i === 0 ? `  error: ${l}` : l)).join('\n'));
        break;
      }
      case 'run-end':
        out('');
        out(recap(e.summary.hosts, e.summary.notStarted));
        out(`${e.summary.ok ? 'done' : e.summary.aborted ? 'ABORTED' : 'FAILED'} in ${(e.summary.durationMs / 1000).toFixed(2)}s${e.summary.check ? ' (check mode)' : ''}`);
        break;
      default:
        break;
    }
  };
  return (e: EngineEvent) => {
    // The tasks a failure skipped make one line, written when something else happens on the host.
    if (e.type === 'task-end' && e.result.afterFailureOf !== undefined) { detail.skipped(e.task.host, e.result.afterFailureOf); return; }
    const skips = writesNow(e, level) ? detail.takeSkips(hostOf(e)) : [];
    if (level >= 0) for (const l of skips) write(paint('skipped', l) + '\n');
    if (level < 0 && !quietShows(e)) return;
    switch (e.type) {
      case 'command': case 'upload':
        if (level < 1) return;
        if (e.task) detail.add(e.task.id, commandLine(e));
        else line(undefined, `${shown(e.host)} | ${commandLine(e)}`);
        return;
      case 'task-probe':
        if (level >= 2) detail.add(e.task.id, ...probeLines(e));
        return;
      case 'probe-batch':
        if (level >= 1) line(undefined, `${shown(e.host)} | ${batchLine(e, level)}`);
        return;
      case 'task-end':
        // A line not shown (ok and skipped, with `verbose: false`) takes its details with it.
        if (o.verbose === false && (e.result.status === 'ok' || e.result.status === 'skipped')) detail.take(e.task.id);
        break;
      default:
        break;
    }
    report(e);
  };
}
