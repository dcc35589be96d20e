import type { CallSite, ShipshapeError } from '../errors.js';
import type { Secret } from '../secret.js';
import type { Become } from '../transport/types.js';
import type { ExtendedFacts, ServiceManager } from './fact-types.js';
import type { ProbePaths } from './probe-memo.js';

/**
 * What the engine knows about a host at run time; `when` callbacks receive it. The extended
 * fields (memory, network, ...) are gathered only when the plan may read them; reading one
 * that was not throws an error naming the host and the field.
 */
export interface Facts extends ExtendedFacts {
  hostname: string;
  /** From /etc/os-release: `debian`, `ubuntu`, ... */
  os: { id: string; versionId: string; codename: string };
  arch: string;
  /** The init system services are managed with: systemd, else sysvinit (`service`). */
  init: 'systemd' | 'sysvinit';
  /** What manages services, told apart more finely than `init`. */
  serviceManager: ServiceManager;
  cpus: number;
  /** The login user of the connection. */
  user: string;
  /** Host variables from the inventory. */
  vars: Record<string, unknown>;
}

/** Options every operation takes. */
export interface CommonOptions {
  /** Handler to queue when (and only when) this operation changed something. */
  notify?: string | string[];
  /**
   * Handlers this operation does the work of: when it changes something, the notifications of
   * these handlers queued so far (by earlier tasks, or left pending on the host by a failed
   * run) are dropped, as the change already did what they would do. For a task that starts a
   * stopped service from the files now on the host: a restart right after it would only
   * repeat the start. Notifications made after it still run the handler.
   * @example host('web-01').shell('supervisorctl update && supervisorctl start app', { unless: 'pgrep -f gunicorn', supersedes: ['restart app'] })
   */
  supersedes?: string | string[];
  /** Decided at run time; a false result skips the task. */
  when?: (facts: Facts) => boolean;
  become?: Become;
  /** How the task is shown in output. */
  name?: string;
  /**
   * Names to select the task by with `--tags` / `--skip-tags` (plain words). `always` runs it
   * unless it is skipped by name; `never` only when one of its other tags is asked for.
   * @example host('web-01').template('app.conf.mustache', '/etc/app.conf', { tags: ['config', 'app'] })
   */
  tags?: string | string[];
  /**
   * When the task fails (its probe, diff or apply), run it again up to this many more times,
   * `delay` seconds apart, probing afresh each time (so what an attempt left half done is
   * diffed again). A whole number ≥ 0; default 0, or 3 when `until` is given (as Ansible).
   * Not in check mode, nor for an unreachable host; an interrupt stops the wait at once.
   */
  retries?: number;
  /** Seconds between attempts (≥ 0, fractions allowed); default 5, as Ansible. */
  delay?: number;
  /**
   * Asked after each attempt, failed ones included: true ends the task with that attempt's
   * result (a failed attempt still fails); false runs it again, while `retries` allow, then
   * fails naming the attempts and the last result. Without `until` a task stops at its first
   * attempt that did not fail. Not asked in check mode, where the task runs once.
   * @example host('web-01').shell('curl -fsS localhost:5000/health', { until: (r) => r.stdout.includes('ok'), retries: 10, delay: 2 })
   */
  until?: (result: TaskAttempt) => boolean;
}

/** One attempt of a task, as `until` sees it. */
export interface TaskAttempt {
  /** 1 for the first attempt. */
  attempt: number;
  status: 'ok' | 'changed' | 'failed';
  changed: boolean;
  changes: Change[];
  /** What the commands apply ran printed (shell, command: the command's output); '' when none ran. */
  stdout: string;
  stderr: string;
  /** Exit code of the last command apply ran (the failing one); undefined when none ran. */
  exitCode?: number;
  /** Why the attempt failed (status `failed`). */
  error?: ShipshapeError;
}

/** The probe's raw result. */
export interface Probed {
  stdout: string;
  code: number;
}

/** One difference between the desired and the current state. */
export interface Change {
  /** What differs: `content`, `mode`, `owner`, `state`, `package nginx`, ... */
  what: string;
  before?: string;
  after?: string;
  /** File content before and after, for `--diff`. `before` is empty for a new file. */
  content?: { path: string; before: string; after: string; secret?: boolean };
}

/** The pure result of comparing desired with probed state. */
export interface Diff {
  changes: Change[];
  /** Why nothing needs doing (shown when `changes` is empty). */
  noop?: string;
  /** The op cannot know without running (a bare shell): shown as "would run" in check mode. */
  unknown?: boolean;
  /**
   * The change cannot succeed (a package with no installation candidate): check mode reports
   * `would fail: <this>`, and outside check mode the task fails with it before any action.
   */
  fails?: string;
  /** Check mode: whether the change will work cannot be known yet, and why. */
  uncertain?: string;
  /** Data the diff computed for apply (rendered content, ...). Never shown. */
  data?: unknown;
}

/** A path an op reads and may change; `subtree` when it may reach what is below the path too. */
export interface Footprint {
  path: string;
  subtree?: boolean;
}

/** A step of apply: a command, or a file upload. Pure data, so apply is table-tested. */
export type Action =
  | {
    kind: 'exec'; command: string; stdin?: string | Buffer | Secret; okCodes?: number[]; timeoutMs?: number;
    /** The error's first line when it fails, instead of "command failed with exit code N". */
    failure?: string;
    /** How the command is shown in errors, when the script itself says little (a long bash loop). */
    shown?: string;
    /** Deferred commands of these keys that are pending run first (a daemon-reload before `systemctl start`). */
    after?: DeferKey[];
    /** This command does what the deferred one of this key would: once it succeeded, that one is no longer pending. */
    settles?: DeferKey;
  }
  | { kind: 'put'; path: string; data: string | Buffer | Secret; mode?: number; owner?: string; group?: string }
  /**
   * The host went away on purpose (a reboot): the engine drops the connection and connects
   * again until `rebooted` (a shell test) exits 0, within `timeoutMs`; later actions and tasks
   * use the new connection.
   */
  | { kind: 'reconnect'; timeoutMs: number; rebooted: string }
  /**
   * A command run at most once per host per run, later: before the next exec whose `after` names
   * its key, or at the end of the host's tasks (`systemctl daemon-reload` after unit files changed, `apt-get
   * update` after a repository changed). The first `defer` of a key that is pending wins.
   */
  | { kind: 'defer'; key: DeferKey; command: string; failure?: string; fix?: string };

/** What a deferred command does, so ops can ask for it to have run (see Action `defer`). */
export type DeferKey = 'daemon-reload' | 'apt-update';

/** What an operation can read while diffing: local files and the host's facts. */
export interface OpContext {
  host: string;
  facts: Facts;
  /** Directory that relative local paths (src, templates) resolve against. */
  baseDir: string;
  check: boolean;
  /** Deferred commands pending on the host (an `apt-get update` a repository change asked for). */
  deferred?: ReadonlySet<DeferKey>;
}

/** What validation knows: no host has been contacted. */
export interface ValidateContext {
  host: string;
  baseDir: string;
  vars: Record<string, unknown>;
}

/**
 * The type an argument's value must have, checked when the plan is built (undefined is
 * always allowed: whether a value is required is the op's own `validate`).
 */
export type ArgType =
  | 'string' | 'boolean' | 'number' | 'string[]' | 'string | string[]' | 'number | number[]'
  /** A number (0o644) or a string ('0644'). */
  | 'mode'
  /** A string, a Buffer or a secret(). */
  | 'content'
  /** A plain object (not null, not an array); its strings may reach a shell (env). */
  | 'object'
  /** A template file name or `{ inline: 'text' }`. */
  | 'template'
  /** A string written into a file, never onto a command line (line's `line`). */
  | 'text'
  /** A plain object of template variables: rendered into a file, never onto a command line. */
  | 'vars';

/**
 * Every argument key of an op with the type of its value. A mapped type over `keyof A`, so
 * tsc refuses a declaration that misses a key of the args or names one they lack.
 */
export type ArgKeys<A> = { readonly [K in keyof A]-?: ArgType };

/**
 * One operation kind: `probe` (read-only shell whose output describes the current state),
 * `diff` (pure: desired + probed → changes or a no-op reason), `apply` (actions that make
 * the changes). No operation talks to the network itself.
 */
export interface OpSpec<A> {
  kind: string;
  /** Every argument key with its type: any other key is a plan problem ("unknown option"). */
  keys: ArgKeys<A>;
  /** One line: `file /etc/motd`. */
  describe(args: A): string;
  /** Problems with the arguments, as sentences that name the value; empty when fine. */
  validate(args: A, ctx: ValidateContext): string[];
  /**
   * The read-only probe script; undefined when the op needs none. `vars` are the host's
   * inventory variables when the engine knows them (a template whose wanted content they
   * settle can send its sha256, so a file that has it sends nothing back).
   */
  probe(args: A, ctx: ProbeContext): string | undefined;
  diff(args: A, probed: Probed, ctx: OpContext): Diff | Promise<Diff>;
  apply(args: A, diff: Diff, ctx: OpContext): Action[];
  /**
   * The paths this op's probe reads and its apply may change, when it knows them (file,
   * template, copy, line): a change elsewhere leaves its batched probe valid. Ops without one
   * may be affected by, and may affect, anything on the host.
   */
  footprint?(args: A): Footprint[] | undefined;
  /**
   * The paths its probe stats (statProbe) and hashes (contentProbe), exactly as it spells
   * them: a batch reads them all with one stat and one sha256sum (probe-memo.ts).
   */
  probePaths?(args: A, ctx: { baseDir: string }): ProbePaths;
  /**
   * False for an op with a footprint whose changes must still run on their own, not in a
   * grouped apply with the file tasks around it (pip: a long install whose output it reports).
   */
  groupable?: false;
}

/** What a probe needs beyond the args. */
export interface ProbeContext {
  /** Where relative local paths resolve. */
  baseDir: string;
  /** The host's inventory variables, when the engine knows them. */
  vars?: Record<string, unknown>;
}

/** A task as the plan holds it: an op, its arguments and where it was declared. */
export interface TaskSpec {
  kind: string;
  args: unknown;
  options: CommonOptions;
  callSite?: CallSite;
}
