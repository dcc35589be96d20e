import type { Secret } from '../secret.js';

/** Who to become for a command: `true` is root. */
export type Become = boolean | string | { user?: string; password?: string | Secret };

export interface ExecOptions {
  /** Data written to the command's stdin, then closed. */
  stdin?: string | Buffer;
  become?: Become;
  /** Abort the command after this long (ms); the result is a failure with code 124. */
  timeoutMs?: number;
  /**
   * With a become password: how long sudo may take to run the command or ask for the
   * password (default 20000 ms); then the command fails instead of waiting for ever.
   */
  becomeTimeoutMs?: number;
  /**
   * An interrupt: when it fires the command is signalled (SIGTERM to its process group, so
   * traps run and temp files go) and the result is code 130 with `interrupted` set.
   */
  signal?: AbortSignal;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The command was stopped by ExecOptions.signal. */
  interrupted?: boolean;
}

export interface PutOptions {
  mode?: number;
  owner?: string;
  group?: string;
  become?: Become;
}

/**
 * How the engine talks to one host. `exec` runs a command through `sh -c` on the host
 * (the command is a shell string whose values were quoted with `quote`); `put` replaces a
 * file atomically (temp file in the same folder, mode and owner set, then renamed over the
 * target). A lost connection rejects with a `ShipshapeError` whose `unreachable` is true.
 */
export interface Transport {
  readonly host: string;
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  put(path: string, data: string | Buffer, opts?: PutOptions): Promise<void>;
  close(): Promise<void>;
}
