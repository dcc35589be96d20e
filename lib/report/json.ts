import { accessSync, constants, statSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Change } from '../ops/types.js';
import { escapeText } from './escape.js';
import type { EngineEvent, Reporter, RunSummary, TaskInfo, TaskResult } from './events.js';
import { redact, redactDeep, redactLines } from './redact.js';

interface JsonTask extends TaskInfo { status: string; changes: TaskResult['changes']; reason?: string; wouldFail?: string; uncertain?: string; error?: string; attempts?: number; durationMs: number; probeMs?: number; applyMs?: number }

export interface JsonReporterOptions {
  /**
   * Put file contents (before and after) in the report, as `--diff` does; default: what the
   * run was started with. Without it a content change is named, its content left out.
   */
  diff?: boolean;
  /** Told when the report cannot be written; default: a line on stderr. */
  onError?: (message: string) => void;
}

/**
 * A change as the report holds it: the content only with `--diff`, and never a secret content
 * nor its checksum (a short secret's sha256 can be found by trying values).
 */
function reported(c: Change, diff: boolean): Change {
  const { content, ...rest } = c;
  if (!content) return c;
  if (content.secret) return { what: c.what, content: { path: content.path, before: '', after: '', secret: true } };
  return diff ? { ...c, content: { ...content, before: redactLines(content.before), after: redactLines(content.after) } } : rest;
}

/**
 * Why `file` cannot take the JSON report (its folder is missing or not writable, it is a
 * folder, or it exists and cannot be written), or undefined: deploy() asks before any host
 * is contacted, so a bad path is a plan problem, not a failure after the run.
 *
 * @example
 * jsonPathProblem('/nonexistent/out.json')   // '--json /nonexistent/out.json: the folder /nonexistent does not exist'
 */
export function jsonPathProblem(file: string): string | undefined {
  const path = resolve(file);
  const flag = `--json ${file}`;
  const dir = dirname(path);
  const d = stat(dir);
  if (d === 'missing') return `${flag}: the folder ${dir} does not exist`;
  if (typeof d === 'string') return `${flag}: the folder ${dir} cannot be read (${d})`;
  if (!d.isDirectory()) return `${flag}: ${dir} is not a folder`;
  const st = stat(path);
  if (typeof st === 'string' && st !== 'missing') return `${flag} cannot be read (${st})`;
  if (typeof st !== 'string') {
    if (st.isDirectory()) return `${flag} is a folder; give the path of a file`;
    try { accessSync(path, constants.W_OK); return undefined; } catch { return `${flag}: the file exists and cannot be written`; }
  }
  try { accessSync(dir, constants.W_OK | constants.X_OK); } catch { return `${flag}: the folder ${dir} is not writable`; }
  return undefined;
}

/** The stat of a path, `missing`, or the error code that kept it from being read. */
function stat(path: string): Stats | string {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : code ?? String(e);
  }
}

/**
 * Collects every task's result and timing; writes them as JSON to `file` when the run ends.
 * Every string (keys too) is redacted before it is encoded, so a secret with a quote or a
 * backslash is masked as well as any other; file contents are in it only with `--diff`.
 *
 * @example
 * await deploy({ argv: ['--json', 'out.json'] })
 */
export function jsonReporter(file: string, o: JsonReporterOptions = {}): Reporter {
  const tasks: JsonTask[] = [];
  const unreachable: Record<string, string> = {};
  const pendingHandlers: Record<string, string[]> = {};
  const warnings: { host?: string; message: string }[] = [];
  const batches: string[][] = [];
  let rolloutStopped: { batch: number; failed: string[]; reason: string } | undefined;
  let diff = o.diff ?? false;
  const onError = o.onError ?? ((m: string) => { process.stderr.write(escapeText(redact(m)) + '\n'); });
  return (e: EngineEvent) => {
    if (e.type === 'run-start') {
      diff = o.diff ?? e.diff;
    } else if (e.type === 'task-end') {
      const { status, changes, reason, wouldFail, uncertain, error, attempts, durationMs, probeMs, applyMs } = e.result;
      tasks.push({ ...e.task, status, reason, wouldFail, uncertain, attempts, durationMs, probeMs, applyMs, error: error?.explain(), changes: changes.map((c) => reported(c, diff)) });
    } else if (e.type === 'handlers-pending') {
      pendingHandlers[e.host] = e.names;
    } else if (e.type === 'batch-start') {
      batches.push(e.hosts);
    } else if (e.type === 'rollout-stopped') {
      rolloutStopped = { batch: e.batch, failed: e.failed, reason: e.reason };
    } else if (e.type === 'warning') {
      warnings.push({ host: e.host, message: e.message });
    } else if (e.type === 'host-unreachable') {
      unreachable[e.host] = e.error.explain();
    } else if (e.type === 'run-end' || e.type === 'plan-invalid') {
      const summary: RunSummary | undefined = e.type === 'run-end' ? e.summary : undefined;
      const doc = redactDeep({ summary, problems: e.type === 'plan-invalid' ? e.problems : undefined, unreachable, pendingHandlers, warnings, ...(batches.length ? { batches, rolloutStopped } : {}), tasks });
      try {
        writeFileSync(file, JSON.stringify(doc, (k, v) => (k === 'callSite' && v ? `${v.file}:${v.line}:${v.column}` : v), 2) + '\n');
      } catch (err) {
        onError(`shipshape: could not write the --json report ${file}: ${(err as Error).message}`);
      }
    }
  };
}
