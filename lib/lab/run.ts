/** Runs the system commands the lab drives (ip, mmdebstrap, unshare, ...), without a shell. */
import { spawn } from 'node:child_process';
import createDebug from 'debug';
import { ShipshapeError } from '../errors.js';
import { argv } from '../transport/quote.js';

const debug = createDebug('shipshape:lab');

export interface RunOptions {
  /** Written to stdin, then closed. */
  input?: string | Buffer;
  cwd?: string;
  /** Do not throw on a non-zero exit; the caller looks at `code`. */
  allowFail?: boolean;
  /** Shown as the first line of the error. */
  what?: string;
  fix?: string;
  host?: string;
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Keep at most this much of each stream: mmdebstrap and apt can be chatty. */
const MAX_OUTPUT = 4 * 1024 * 1024;

/**
 * Runs `cmd args...` and resolves with its output; throws a ShipshapeError naming the
 * command, exit code and stderr when it fails (unless `allowFail`).
 *
 * @example
 * await run('ip', ['netns', 'add', 'ss-1a2b3c-web-01'])
 */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const command = argv([cmd, ...args]);
  debug('$ %s', command.length > 500 ? command.slice(0, 500) + '...' : command);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    if (opts.timeoutMs) timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs);
    child.stdout.on('data', (d: Buffer) => { if (outLen < MAX_OUTPUT) { out.push(d); outLen += d.length; } });
    child.stderr.on('data', (d: Buffer) => {
      err.push(d); errLen += d.length;
      while (errLen > MAX_OUTPUT && err.length > 1) errLen -= err.shift()!.length;
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      reject(new ShipshapeError(`cannot run ${cmd}: ${e.message}`, {
        command, cause: e, host: opts.host,
        fix: e.code === 'ENOENT' ? `install it (see "shipshape lab up" pre-flight)` : opts.fix,
      }));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const r: RunResult = {
        code: timedOut ? 124 : code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (timedOut ? `\ntimed out after ${opts.timeoutMs} ms` : ''),
      };
      if (r.code !== 0 && !opts.allowFail) {
        reject(new ShipshapeError(opts.what ?? `${cmd} failed`, {
          command, exitCode: r.code, stderr: r.stderr, stdout: r.stdout, fix: opts.fix, host: opts.host,
        }));
      } else {
        resolve(r);
      }
    });
    child.stdin.on('error', () => { /* the command may exit without reading stdin */ });
    child.stdin.end(opts.input ?? '');
  });
}

/** The lab's debug logger (`DEBUG=shipshape:lab`). */
export { debug };
