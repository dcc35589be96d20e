import { writeFileSync } from 'node:fs';
import { redact } from '../secret.js';
import type { EngineEvent, Reporter, RunSummary, TaskInfo, TaskResult } from './events.js';

interface JsonTask extends TaskInfo { status: string; changes: TaskResult['changes']; reason?: string; wouldFail?: string; uncertain?: string; error?: string; durationMs: number }

/**
 * Collects every task's result and timing; writes them as JSON to `file` when the run ends.
 *
 * @example
 * await deploy({ argv: ['--json', 'out.json'] })
 */
export function jsonReporter(file: string): Reporter {
  const tasks: JsonTask[] = [];
  const unreachable: Record<string, string> = {};
  const pendingHandlers: Record<string, string[]> = {};
  const warnings: { host?: string; message: string }[] = [];
  return (e: EngineEvent) => {
    if (e.type === 'task-end') {
      const { status, changes, reason, wouldFail, uncertain, error, durationMs } = e.result;
      tasks.push({ ...e.task, status, reason, wouldFail, uncertain, durationMs, error: error?.explain(), changes: changes.map((c) => c.content?.secret ? { ...c, content: { ...c.content, before: '', after: '' } } : c) });
    } else if (e.type === 'handlers-pending') {
      pendingHandlers[e.host] = e.names;
    } else if (e.type === 'warning') {
      warnings.push({ host: e.host, message: e.message });
    } else if (e.type === 'host-unreachable') {
      unreachable[e.host] = e.error.explain();
    } else if (e.type === 'run-end' || e.type === 'plan-invalid') {
      const summary: RunSummary | undefined = e.type === 'run-end' ? e.summary : undefined;
      const doc = { summary, problems: e.type === 'plan-invalid' ? e.problems : undefined, unreachable, pendingHandlers, warnings, tasks };
      writeFileSync(file, redact(JSON.stringify(doc, (k, v) => (k === 'callSite' && v ? `${v.file}:${v.line}:${v.column}` : v), 2)) + '\n');
    }
  };
}
