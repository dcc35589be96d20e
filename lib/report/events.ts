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
  /** Skipped because an earlier task of the host failed: that task's name. */
  afterFailureOf?: string;
  /** Time its probe took (0 when the batched probe served it) and its apply, over all attempts. */
  probeMs?: number;
  applyMs?: number;
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
  /** Hosts of batches that did not start because a rollout (`serial`) was stopped. */
  notStarted?: string[];
  durationMs: number;
}

/** What the engine tells reporters. The engine never prints. */
export type EngineEvent =
  | { type: 'plan-invalid'; problems: PlanProblem[] }
  /** `leftOutByTags`: tasks --tags / --skip-tags left out of the plan (not counted in `tasks`). */
  | { type: 'run-start'; hosts: string[]; tasks: number; check: boolean; diff: boolean; leftOutByTags?: number }
  /** With `serial`: batch `batch` of `batches` starts on these hosts. */
  | { type: 'batch-start'; batch: number; batches: number; hosts: string[] }
  /**
   * With `serial`: batch `batch` ended with `failed` hosts failed or unreachable, which stops
   * the rollout; `notStarted` are the hosts of the remaining batches. `reason` is one line.
   */
  | { type: 'rollout-stopped'; batch: number; failed: string[]; notStarted: string[]; reason: string }
  | { type: 'host-start'; host: string }
  | { type: 'host-unreachable'; host: string; error: ShipshapeError }
  /**
   * Handlers notified in an earlier run that did not run to success: they run in this one.
   * `undeclared` are recorded names this plan has no handler for (left recorded), and
   * `skippedByTags` those --skip-tags skips (left recorded too).
   */
  | { type: 'handlers-pending'; host: string; names: string[]; undeclared: string[]; skippedByTags?: string[] }
  | { type: 'warning'; host?: string; message: string }
  | { type: 'task-start'; task: TaskInfo }
  /**
   * An attempt of a task with `retries`/`until` failed or did not satisfy `until`: attempt
   * `attempt` of at most `attempts` starts after `delayMs`. `reason` is one line.
   */
  | { type: 'task-retry'; task: TaskInfo; attempt: number; attempts: number; delayMs: number; reason: string }
  | { type: 'task-end'; task: TaskInfo; result: TaskResult; check: boolean }
  /**
   * A command about to go to a host (`-v` shows it), unredacted: reporters redact. `task` is
   * the task it serves; none for the host's own work (pending-handler bookkeeping, deferred
   * commands at its end). `become` is the user it runs as, when not the login user.
   */
  | { type: 'command'; host: string; task?: TaskInfo; phase: 'probe' | 'apply' | 'host'; command: string; become?: string }
  /** A file about to be written on a host (`-v`): its path and size. */
  | { type: 'upload'; host: string; task?: TaskInfo; path: string; bytes: number; become?: string }
  /**
   * The probes of a host's tasks sent as one script before its first task (`-v` shows it,
   * `-vv` with sizes and time): `probes` task probes in it, `answered` came back (the rest
   * were too large for one script and probe on their own). `again`: a later batch, of tasks
   * whose first probe a change made stale.
   */
  | { type: 'probe-batch'; host: string; probes: number; answered: number; scriptBytes: number; outputBytes: number; durationMs: number; again?: boolean }
  /**
   * What a task's probe printed (`-vv`): from the batched probe, or run just now in `durationMs`.
   * `hidden`: the task holds a secret, so its output is left out (`stdout` is empty).
   */
  | { type: 'task-probe'; task: TaskInfo; stdout: string; code: number; batched: boolean; durationMs: number; hidden?: boolean }
  | { type: 'host-end'; host: string; stats: HostStats }
  | { type: 'run-end'; summary: RunSummary };

export type Reporter = (e: EngineEvent) => void;
