import pc from 'picocolors';
import { formatCallSite } from '../errors.js';
import { redact } from '../secret.js';
import { renderContentDiff } from './diff.js';
import { changeText } from './change-text.js';
import type { EngineEvent, Reporter, TaskResult } from './events.js';
import { recap } from './recap.js';

export interface PlainReporterOptions {
  write?: (text: string) => void;
  color?: boolean;
  /** Print unified diffs of file contents. */
  diff?: boolean;
  /** Print lines for ok and skipped tasks too (default: yes). */
  verbose?: boolean;
}

function statusText(r: TaskResult, check: boolean): string {
  if (check && r.wouldFail) return `would fail: ${r.wouldFail}`;
  if (check && r.status === 'changed') return (r.unknown ? 'would run' : 'would change');
  return r.status;
}

/**
 * One line per task (`host | task | status`), diffs when asked, errors in full, and an
 * Ansible-style recap at the end. All text is redacted of secrets.
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
  const out = (s: string) => write(redact(s) + '\n');
  return (e: EngineEvent) => {
    switch (e.type) {
      case 'plan-invalid':
        out(`The plan is invalid (${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}); no host was contacted:`);
        for (const p of e.problems) {
          const where = [p.host && `host ${p.host}`, p.task && `task "${p.task}"`].filter(Boolean).join(', ');
          out(`  - ${where ? where + ': ' : ''}${p.message}${p.callSite ? `\n      at ${formatCallSite(p.callSite)}` : ''}`);
        }
        break;
      case 'run-start':
        out(`${e.check ? 'Checking' : 'Deploying'} ${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'}, ${e.tasks} task${e.tasks === 1 ? '' : 's'}${e.check ? ' (check mode: nothing is changed)' : ''}`);
        break;
      case 'handlers-pending':
        if (e.names.length) out(paint('changed', `${e.host} | handlers pending from an earlier run: ${e.names.join(', ')} | ${e.names.length === 1 ? 'it runs' : 'they run'} in this one`));
        if (e.undeclared.length) out(`${e.host} | recorded as pending but not declared by this plan (left recorded): ${e.undeclared.join(', ')}`);
        break;
      case 'warning':
        out(paint('changed', `${e.host ? `${e.host} | ` : ''}warning: ${e.message}`));
        break;
      case 'host-unreachable':
        out(paint('unreachable', `${e.host} | UNREACHABLE | ${e.error.message}`));
        out(e.error.explain().split('\n').slice(1).join('\n'));
        break;
      case 'task-end': {
        const r = e.result;
        if (o.verbose === false && (r.status === 'ok' || r.status === 'skipped')) break;
        const label = e.task.handler ? `handler ${e.task.handler}: ${e.task.name}` : e.task.name;
        const extra = r.status === 'changed' ? ` (${r.changes.map(changeText).join(', ')})` : r.reason && (r.status === 'skipped' || r.status === 'aborted') ? ` (${r.reason})` : '';
        const unsure = r.uncertain ? ` | cannot know yet: ${r.uncertain}` : '';
        out(paint(r.status, `${e.task.host} | ${label} | ${statusText(r, e.check)}${extra}${unsure}`));
        if (o.diff && r.status === 'changed') {
          for (const c of r.changes) {
            const d = renderContentDiff(c, color);
            if (d) out(d.trimEnd());
          }
        }
        if (r.error && !r.wouldFail) out(r.error.explain().split('\n').map((l, i) => (i === 0 ? `  error: ${l}` : l)).join('\n'));
        break;
      }
      case 'run-end':
        out('');
        out(recap(e.summary.hosts));
        out(`${e.summary.ok ? 'done' : e.summary.aborted ? 'ABORTED' : 'FAILED'} in ${(e.summary.durationMs / 1000).toFixed(2)}s${e.summary.check ? ' (check mode)' : ''}`);
        break;
      default:
        break;
    }
  };
}
