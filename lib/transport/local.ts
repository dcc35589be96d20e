import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import createDebug from 'debug';
import { ShipshapeError } from '../errors.js';
import { redact } from '../secret.js';
import { feedStdin, resolveBecome, wrapBecome, type ResolvedBecome } from './become.js';
import { putInput, putScript } from './put-script.js';
import type { ExecOptions, ExecResult, PutOptions, Transport } from './types.js';

const log = createDebug('shipshape:local');

/** Process groups of local commands still running: a second Ctrl-C ends them all at once. */
const LIVE = new Set<number>();

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try { process.kill(-pid, sig); } catch { /* already gone */ }
}

/**
 * Sends `sig` to every local command still running (their whole process groups). For the
 * last resort of a second interrupt, so nothing the run started outlives it.
 *
 * @example
 * process.once('SIGINT', () => { signalLocalCommands('SIGTERM'); process.exit(130); });
 */
export function signalLocalCommands(sig: NodeJS.Signals): void {
  for (const pid of LIVE) killGroup(pid, sig);
}


/**
 * Runs commands on this machine through `/bin/sh -c`: the same interface as SSH, for tests
 * and for deploying to localhost. Becoming the user we already are is a no-op.
 *
 * @example
 * host('localhost', { transport: 'local' }).file('/tmp/x', { content: 'hi\n' })
 */
export class LocalTransport implements Transport {
  private readonly me = userInfo().username;
  private closed = false;

  constructor(readonly host: string = 'localhost') {}

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.closed) return Promise.reject(new ShipshapeError('local transport is closed', { host: this.host, command }));
    let b: ResolvedBecome | undefined = resolveBecome(opts.become);
    if (b && b.user === this.me) b = undefined;
    const { command: full, dialog } = wrapBecome(command, b);
    const stdin = opts.stdin === undefined ? undefined : Buffer.from(opts.stdin);
    log('%s $ %s', this.host, redact(full));
    return new Promise((resolve, reject) => {
      // Its own process group, so a timeout or an interrupt reaches the whole command, not just sh.
      const child = spawn('/bin/sh', ['-c', full], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const pid = child.pid;
      if (pid !== undefined) LIVE.add(pid);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      let interrupted = false;
      if (opts.timeoutMs) timer = setTimeout(() => { timedOut = true; killGroup(pid, 'SIGKILL'); }, opts.timeoutMs);
      const onAbort = () => {
        interrupted = true;
        killGroup(pid, 'SIGTERM');
        // A command that ignores SIGTERM is killed after a grace period.
        setTimeout(() => killGroup(pid, 'SIGKILL'), 3000).unref();
      };
      if (opts.signal?.aborted) onAbort();
      else opts.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdin.on('error', () => { /* the command may exit without reading stdin */ });
      const filter = feedStdin(child.stdin, stdin, dialog, { abort: () => killGroup(pid, 'SIGKILL'), timeoutMs: opts.becomeTimeoutMs });
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(filter.stderr(d)));
      child.on('error', (e) => { if (timer) clearTimeout(timer); reject(new ShipshapeError(`could not run /bin/sh: ${e.message}`, { host: this.host, command: full, cause: e })); });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        if (pid !== undefined) LIVE.delete(pid);
        opts.signal?.removeEventListener('abort', onAbort);
        err.push(filter.end());
        const stderr = Buffer.concat(err).toString('utf8');
        if (filter.refused) return reject(new ShipshapeError(filter.refused, { host: this.host, command: full, stderr, fix: filter.fix }));
        if (interrupted) return resolve({ code: 130, stdout: Buffer.concat(out).toString('utf8'), stderr: `${stderr}interrupted\n`, interrupted: true });
        resolve({
          code: timedOut ? 124 : code ?? (signal ? 128 : 1),
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: timedOut ? `${stderr}timed out after ${opts.timeoutMs} ms\n` : stderr,
        });
      });
    });
  }

  async put(path: string, data: string | Buffer, opts: PutOptions = {}): Promise<void> {
    const script = putScript(path, opts);
    const r = await this.exec(script, { stdin: putInput(Buffer.from(data)), become: opts.become });
    if (r.code !== 0) {
      throw new ShipshapeError(`could not write ${path}`, { host: this.host, command: script, exitCode: r.code, stderr: r.stderr });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
