import type { CallSite } from '../errors.js';
import type { HostOptions } from '../inventory/types.js';
import type { CommonOptions, OpSpec } from '../ops/types.js';
import type { Become } from '../transport/types.js';

/** One operation on one host: pure data, ready to run. */
export interface Task {
  /** `host#index` (handlers: `host#handler:name#index`). */
  id: string;
  host: string;
  /** Position in the host's sequence. */
  index: number;
  kind: string;
  op: OpSpec<unknown>;
  args: unknown;
  options: CommonOptions;
  /** The become in effect: the op's, else its target's, else the host's. */
  become?: Become;
  /** How it is shown: the op's `name`, else its description. */
  name: string;
  /** The target (host or group) that declared it. */
  target: string;
  callSite?: CallSite;
  /** Folder that relative local paths resolve from (the declaring file's folder). */
  baseDir: string;
  /** Set on tasks of a handler. */
  handler?: string;
}

export interface HandlerPlan {
  name: string;
  tasks: Task[];
  callSite?: CallSite;
  /** Its tags (see `Target.handler`). */
  tags?: string[];
  /** `--skip-tags` names one of its tags: notified, it does not run (and stays pending on the host). */
  skippedByTags?: boolean;
}

export interface HostPlan {
  name: string;
  options: HostOptions;
  tasks: Task[];
  /** In declaration order. */
  handlers: HandlerPlan[];
}

/**
 * A run of consecutive tasks of one host that waits for the same other targets: the unit
 * the scheduler sees. A host's segments run in order; `deps` adds `after()` joins.
 */
export interface Segment {
  id: string;
  host: string;
  tasks: Task[];
  deps: string[];
  /** Targets this segment waits for, for messages. */
  waitsFor: string[];
}

export interface Plan {
  hosts: HostPlan[];
  segments: Segment[];
  /** Tasks (over all hosts) that `--tags` / `--skip-tags` left out of the plan. */
  leftOutByTags?: number;
}

export interface PlanProblem {
  message: string;
  host?: string;
  task?: string;
  callSite?: CallSite;
}
