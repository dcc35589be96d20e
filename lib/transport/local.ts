import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import createDebug from 'debug';
import { ShipshapeError } from '../errors.js';
import { redact } from '../secret.js';
import { becomeStdin, resolveBecome, wrapBecome, type ResolvedBecome } from './become.js';
import { putScript } from './put-script.js';
import type { ExecOptions, ExecResult, PutOptions, Transport } from './types.js';

const log = createDebug('shipshape:local');

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
    const full = wrapBecome(command, b);
    const stdin = becomeStdin(b, opts.stdin);
    log('%s $ %s', this.host, redact(full));
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', full], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      if (opts.timeoutMs) timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs);
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', (e) => { if (timer) clearTimeout(timer); reject(new ShipshapeError(`could not run /bin/sh: ${e.message}`, { host: this.host, command: full, cause: e })); });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        const stderr = Buffer.concat(err).toString('utf8');
        resolve({
          code: timedOut ? 124 : code ?? (signal ? 128 : 1),
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: timedOut ? `${stderr}timed out after ${opts.timeoutMs} ms\n` : stderr,
        });
      });
      child.stdin.on('error', () => { /* the command may exit without reading stdin */ });
      child.stdin.end(stdin ?? '');
    });
  }

  async put(path: string, data: string | Buffer, opts: PutOptions = {}): Promise<void> {
    const script = putScript(path, opts);
    const r = await this.exec(script, { stdin: Buffer.from(data), become: opts.become });
    if (r.code !== 0) {
      throw new ShipshapeError(`could not write ${path}`, { host: this.host, command: script, exitCode: r.code, stderr: r.stderr });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
