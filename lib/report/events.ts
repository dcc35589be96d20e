import type { ShipshapeError, CallSite } from '../errors.js';
import type { Change } from '../ops/types.js';
import type { PlanProblem } from '../plan/types.js';

export type TaskStatus = 'pending' | 'running' | 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable' | 'aborted';

export interface TaskInfo {
  id: string;
  host: string;
  name: string;
  op: string;
  handler?: string;
  callSite?: CallSite;
}

export interface TaskResult {
  status: Exclude<TaskStatus, 'pending' | 'running'>;
  changes: Change[];
  /** Why nothing was done, or why it was skipped. */
  reason?: string;
  /** Check mode: the op could not know and would run. */
  unknown?: boolean;
  /** Check mode: the change would fail, and why (the status is `failed`). */
  wouldFail?: string;
  /** Check mode: whether the change would work cannot be known yet, and why. */
  uncertain?: string;
  error?: ShipshapeError;
  stdout?: string;
  /** Attempts made, when the task has `retries` or `until` (1 when the first one did). */
  attempts?: number;
  durationMs: number;
}

/** Per host counts, as Ansible's recap: `ok` counts every task that succeeded, changed or not. */
export interface HostStats {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: number;
  /** Tasks stopped by an interrupt while they ran. */
  aborted: number;
}

export interface RunSummary {
  ok: boolean;
  hosts: Record<string, HostStats>;
  check: boolean;
  /** The run was aborted (Ctrl-C or the signal): tasks not started were skipped. */
  aborted: boolean;
  durationMs: number;
}

/** What the engine tells reporters. The engine never prints. */
export type EngineEvent =
  | { type: 'plan-invalid'; problems: PlanProblem[] }
  | { type: 'run-start'; hosts: string[]; tasks: number; check: boolean; diff: boolean }
  | { type: 'host-start'; host: string }
  | { type: 'host-unreachable'; host: string; error: ShipshapeError }
  /**
   * Handlers notified in an earlier run that did not run to success: they run in this one.
   * `undeclared` are recorded names this plan has no handler for (left recorded).
   */
  | { type: 'handlers-pending'; host: string; names: string[]; undeclared: string[] }
  | { type: 'warning'; host?: string; message: string }
  | { type: 'task-start'; task: TaskInfo }
  /**
   * An attempt of a task with `retries`/`until` failed or did not satisfy `until`: attempt
   * `attempt` of at most `attempts` starts after `delayMs`. `reason` is one line.
   */
  | { type: 'task-retry'; task: TaskInfo; attempt: number; attempts: number; delayMs: number; reason: string }
  | { type: 'task-end'; task: TaskInfo; result: TaskResult; check: boolean }
  | { type: 'host-end'; host: string; stats: HostStats }
  | { type: 'run-end'; summary: RunSummary };

export type Reporter = (e: EngineEvent) => void;
