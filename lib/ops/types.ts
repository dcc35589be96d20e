import type { CallSite } from '../errors.js';
import type { Secret } from '../secret.js';
import type { Become } from '../transport/types.js';

/** What the engine knows about a host at run time; `when` callbacks receive it. */
export interface Facts {
  hostname: string;
  /** From /etc/os-release: `debian`, `ubuntu`, ... */
  os: { id: string; versionId: string; codename: string };
  arch: string;
  /** The init system services are managed with. */
  init: 'systemd' | 'sysvinit';
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
  /** Decided at run time; a false result skips the task. */
  when?: (facts: Facts) => boolean;
  become?: Become;
  /** How the task is shown in output. */
  name?: string;
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

/** A step of apply: a command, or a file upload. Pure data, so apply is table-tested. */
export type Action =
  | {
    kind: 'exec'; command: string; stdin?: string | Buffer | Secret; okCodes?: number[]; timeoutMs?: number;
    /** The error's first line when it fails, instead of "command failed with exit code N". */
    failure?: string;
    /** How the command is shown in errors, when the script itself says little (a long bash loop). */
    shown?: string;
  }
  | { kind: 'put'; path: string; data: string | Buffer | Secret; mode?: number; owner?: string; group?: string };

/** What an operation can read while diffing: local files and the host's facts. */
export interface OpContext {
  host: string;
  facts: Facts;
  /** Directory that relative local paths (src, templates) resolve against. */
  baseDir: string;
  check: boolean;
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
  /** The read-only probe script; undefined when the op needs none. */
  probe(args: A, ctx: { baseDir: string }): string | undefined;
  diff(args: A, probed: Probed, ctx: OpContext): Diff | Promise<Diff>;
  apply(args: A, diff: Diff, ctx: OpContext): Action[];
}

/** A task as the plan holds it: an op, its arguments and where it was declared. */
export interface TaskSpec {
  kind: string;
  args: unknown;
  options: CommonOptions;
  callSite?: CallSite;
}
