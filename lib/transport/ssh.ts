import { constants } from 'node:os';
import createDebug from 'debug';
import type { ClientChannel, SFTPWrapper } from 'ssh2';
import { ShipshapeError } from '../errors.js';
import { redact } from '../secret.js';
import { feedStdin, resolveBecome, wrapBecome, type ResolvedBecome, type SudoDialog } from './become.js';
import { Semaphore } from './semaphore.js';
import { connectSshClient, endAll, where, type SshConnection } from './ssh-connect.js';
import { resolveSshOptions, type ResolvedSshOptions, type SshConnectOptions } from './ssh-options.js';
import { putOverShell, putOverSftp, SftpFallback } from './ssh-put.js';
import type { ExecOptions, ExecResult, PutOptions, Transport } from './types.js';

export type { SshConnectOptions } from './ssh-options.js';
const log = createDebug('shipshape:ssh');

/**
 * One SSH connection to one host, shared by every task: commands run on up to
 * `maxChannels` channels at once (OpenSSH refuses more than MaxSessions, 10 by default),
 * uploads go over one SFTP channel. It connects on first use (or on `connect()`); once the
 * connection is lost, every call rejects at once with an unreachable `ShipshapeError`.
 *
 * @example
 * const t = createSshTransport('web-01', { address: '10.77.0.11', user: 'vagrant', privateKey: '~/.ssh/lab' });
 * const { stdout } = await t.exec('uname -r');
 * await t.put('/etc/motd', 'managed by shipshape\n', { mode: 0o644, become: true });
 * await t.close();
 */
export class SshTransport implements Transport {
  readonly host: string;
  readonly options: ResolvedSshOptions;
  private conn?: Promise<SshConnection>;
  private sftpChannel?: Promise<SFTPWrapper | undefined>;
  private sshdPid?: Promise<number | undefined>;
  private readonly channels: Semaphore;
  private readonly running = new Set<(e: ShipshapeError) => void>();
  private lost?: ShipshapeError;
  private closed = false;

  constructor(opts: SshConnectOptions | ResolvedSshOptions) {
    this.options = 'keyFiles' in opts ? opts : resolveSshOptions(opts);
    this.host = this.options.host;
    this.channels = new Semaphore(this.options.maxChannels);
  }

  /** The login user, after `~/.ssh/config` and defaults. */
  get user(): string {
    return this.options.user;
  }

  /** Whether the connection was lost (every call now rejects). */
  get dead(): boolean {
    return this.lost !== undefined;
  }

  /** Connects and logs in now instead of on first use; resolves once logged in. */
  async connect(): Promise<void> {
    await this.connection();
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    let b: ResolvedBecome | undefined = resolveBecome(opts.become);
    if (b && b.user === this.user) b = undefined;
    const wrapped = wrapBecome(command, b);
    const { dialog } = wrapped;
    const full = wrapped.command;
    const stdin = opts.stdin === undefined ? undefined : Buffer.from(opts.stdin);
    const { client } = await this.connection();
    const release = await this.channels.acquire();
    const ctl: { stop?: () => void } = {};
    let r: ExecResult;
    try {
      log('%s $ %s', this.host, redact(full));
      r = await this.run(client, full, stdin, { timeoutMs: opts.timeoutMs, signal: opts.signal, dialog, becomeTimeoutMs: opts.becomeTimeoutMs, ctl });
    } finally {
      release();
    }
    if (r.interrupted) {
      // Its children too (a backgrounded process, sudo's own session): everything this connection runs.
      try {
        await this.exec(KILL_SESSION_SCRIPT, { become: opts.become, timeoutMs: 10_000 });
      } catch (e) {
        log('%s: could not end the interrupted command\'s processes: %s', this.host, (e as Error).message);
      } finally {
        ctl.stop?.();
      }
    }
    return r;
  }

  async put(path: string, data: string | Buffer, opts: PutOptions = {}): Promise<void> {
    let b = resolveBecome(opts.become);
    if (b && b.user === this.user) b = undefined;
    const buf = Buffer.from(data);
    log('%s put %s (%d bytes%s)', this.host, path, buf.length, b ? `, as ${b.user}` : '');
    if (!b) {
      try {
        const sftp = await this.sftp();
        if (sftp) return await putOverSftp(this, sftp, path, buf, opts, await this.sessionPid());
      } catch (e) {
        if (this.lost) throw this.lost;
        if (!(e instanceof SftpFallback)) throw e;
        log('%s put %s: %s; writing through the shell', this.host, path, e.message);
      }
    }
    await putOverShell(this, path, buf, opts);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new ShipshapeError(`the SSH transport to ${this.host} is closed`, { host: this.host });
    this.channels.fail(err);
    const pending = this.conn;
    if (!pending) return;
    const c = await pending.catch(() => undefined);
    if (!c) return;
    if (!this.lost) await new Promise<void>((resolve) => {
      c.client.once('close', () => resolve());
      endAll(c);
      setTimeout(resolve, 2000).unref();
    });
    for (const j of c.jumps) j.destroy();
    c.client.destroy();
  }

  private connection(): Promise<SshConnection> {
    if (this.lost) return Promise.reject(this.lost);
    if (this.closed) return Promise.reject(new ShipshapeError(`the SSH transport to ${this.host} is closed`, { host: this.host }));
    this.conn ??= connectSshClient(this.options).then((c) => {
      this.watch(c);
      return c;
    }, (e) => {
      // A host that cannot be reached stays unreachable for this run: later calls fail fast.
      this.markLost(e as ShipshapeError);
      throw e;
    });
    return this.conn;
  }

  private watch(c: SshConnection): void {
    let reason = 'the server closed it';
    const onError = (e: Error & { level?: string }) => {
      reason = e.level === 'client-timeout' ? 'no answer to keepalive probes' : e.message;
    };
    c.client.on('error', onError);
    for (const j of c.jumps) j.on('error', onError);
    const onGone = () => {
      if (this.closed || this.lost) return;
      this.markLost(new ShipshapeError(`connection to ${where(this.options)} lost: ${reason}`, {
        host: this.host, unreachable: true, fix: 'check that the host is up and its sshd running; run again once it is',
      }));
      endAll(c);
    };
    c.client.on('close', onGone);
    c.client.on('end', onGone);
    for (const j of c.jumps) j.on('close', onGone);
  }

  private markLost(e: ShipshapeError): void {
    if (this.lost) return;
    this.lost = e;
    log('%s: %s', this.host, e.message);
    this.channels.fail(e);
    for (const fail of this.running) fail(e);
    this.running.clear();
  }

  /**
   * The host's sshd process of this connection (parent of every session, SFTP included): it
   * lives as long as the connection, so SFTP temp files are named after it.
   */
  private sessionPid(): Promise<number | undefined> {
    this.sshdPid ??= this.exec('echo $PPID').then((r) => (/^\d+\n$/.test(r.stdout) ? Number(r.stdout) : undefined), () => undefined);
    return this.sshdPid;
  }

  private sftp(): Promise<SFTPWrapper | undefined> {
    this.sftpChannel ??= this.connection().then(({ client }) => new Promise<SFTPWrapper | undefined>((resolve) => {
      client.sftp((err, sftp) => {
        if (err) log('%s: no SFTP (%s)', this.host, err.message);
        resolve(err ? undefined : sftp);
      });
    }));
    return this.sftpChannel;
  }

  private run(client: SshConnection['client'], command: string, stdin: Buffer | undefined, o: RunOptions, attempt = 0): Promise<ExecResult> {
    const { timeoutMs, signal, dialog, becomeTimeoutMs } = o;
    return new Promise((resolve, reject) => {
      let settled = false;
      let channel: ClientChannel | undefined;
      let timer: NodeJS.Timeout | undefined;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        this.running.delete(onLost);
        fn();
      };
      const onLost = (e: ShipshapeError) => settle(() => {
        reject(new ShipshapeError(e.message, { host: this.host, command, unreachable: true, fix: e.fix, cause: e }));
        channel?.destroy();
      });
      if (this.lost) return onLost(this.lost);
      this.running.add(onLost);
      client.exec(command, (err, stream) => {
        if (this.lost) return onLost(this.lost);
        if (err) {
          // Another client's sessions can still fill MaxSessions: wait a little and try again.
          if (/open failure/i.test(err.message) && attempt < 4) {
            log('%s: %s; trying again', this.host, err.message);
            return settle(() => setTimeout(() => this.run(client, command, stdin, o, attempt + 1).then(resolve, reject), 100 * 2 ** attempt));
          }
          return settle(() => reject(new ShipshapeError(`cannot open an SSH channel on ${this.host}: ${err.message}`, {
            host: this.host, command, cause: err, fix: 'the server may limit sessions (MaxSessions in sshd_config); lower maxChannels',
          })));
        }
        channel = stream;
        const out: Buffer[] = [];
        const errs: Buffer[] = [];
        let code: number | undefined;
        let timedOut = false;
        const filter = feedStdin(stream, stdin, dialog, { abort: () => { killChannel(stream); stream.close(); }, timeoutMs: becomeTimeoutMs });
        stream.on('data', (d: Buffer) => out.push(d));
        stream.stderr.on('data', (d: Buffer) => errs.push(filter.stderr(d)));
        stream.on('exit', (c: number | null, signal?: string) => {
          code = c ?? 128 + ((signal && constants.signals[`SIG${signal.replace(/^SIG/, '')}` as keyof typeof constants.signals]) || 0);
        });
        stream.on('error', () => { /* a write after the command exited; the exit status says what happened */ });
        stream.on('close', () => {
          if (this.lost) return onLost(this.lost);
          errs.push(filter.end());
          const stderr = Buffer.concat(errs).toString('utf8');
          if (filter.refused) {
            return settle(() => reject(new ShipshapeError(filter.refused!, { host: this.host, command, stderr, fix: filter.fix })));
          }
          if (timedOut) return settle(() => resolve({ code: 124, stdout: Buffer.concat(out).toString('utf8'), stderr: `${stderr}timed out after ${timeoutMs} ms\n` }));
          if (code === undefined) {
            return settle(() => reject(new ShipshapeError(`the command on ${this.host} ended without an exit status`, { host: this.host, command, stderr })));
          }
          settle(() => resolve({ code: code!, stdout: Buffer.concat(out).toString('utf8'), stderr }));
        });
        const onAbort = () => {
          // SIGTERM (sudo passes it on; traps remove temp files), then the channel is closed;
          // with ctl, only once the caller has ended the command's process group on the host.
          const stop = () => { killChannel(stream, 'TERM'); stream.close(); };
          if (o.ctl) o.ctl.stop = stop;
          else stop();
          settle(() => resolve({ code: 130, stdout: Buffer.concat(out).toString('utf8'), stderr: `${Buffer.concat(errs).toString('utf8')}interrupted\n`, interrupted: true }));
        };
        if (signal?.aborted) onAbort();
        else {
          signal?.addEventListener('abort', onAbort, { once: true });
          stream.on('close', () => signal?.removeEventListener('abort', onAbort));
        }
        if (timeoutMs) {
          timer = setTimeout(() => {
            timedOut = true;
            killChannel(stream);
            stream.close();
            // A server that ignores the signal keeps the channel until the command ends: do not wait for it.
            timer = setTimeout(() => settle(() => resolve({ code: 124, stdout: Buffer.concat(out).toString('utf8'), stderr: `${Buffer.concat(errs).toString('utf8')}timed out after ${timeoutMs} ms\n` })), 1000);
          }, timeoutMs);
        }
      });
    });
  }
}

/** How one command runs on a channel. */
interface RunOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  dialog?: SudoDialog;
  becomeTimeoutMs?: number;
  /** On an interrupt, the channel is left open and `stop` set, for the caller to call. */
  ctl?: { stop?: () => void };
}

/**
 * Shell that sends SIGTERM to every process this SSH connection started on the host, except
 * itself: it walks up from its own shell to the connection's sshd session process, then ends
 * all of that process's descendants outside its own branch. A process tree, not a process
 * group: sudo runs commands in a session of their own under `use_pty` (Debian's default), and
 * a shell may exec its last command, so no marker on a command line would last.
 *
 * @example
 * await t.exec(KILL_SESSION_SCRIPT, { become: true })
 */
export const KILL_SESSION_SCRIPT = 'list=; for d in /proc/[0-9]*; do p=${d#/proc/}; ' +
  "pp=$(sed 's/^.*) //' \"$d/stat\" 2>/dev/null | cut -d' ' -f2) || continue; [ -n \"$pp\" ] && list=\"$list $p:$pp\"; done; " +
  'parent() { echo "$list" | tr \' \' \'\\n\' | awk -F: -v p="$1" \'$1 == p { print $2 }\'; }; ' +
  's=$$; S=; while :; do pp=$(parent "$s"); if [ -z "$pp" ] || [ "$pp" -le 1 ]; then exit 0; fi; ' +
  'case "$(tr \'\\000\' \' \' < /proc/$pp/cmdline 2>/dev/null)" in sshd:*|sshd-session:*) S=$pp; break;; esac; s=$pp; done; ' +
  'pids=$(echo "$list" | tr \' \' \'\\n\' | awk -F: -v top="$S" -v mine="$s" \'NF == 2 { parent[$1] = $2 } ' +
  'END { want[top] = 1; more = 1; while (more) { more = 0; for (p in parent) if (!(p in want) && p != mine && (parent[p] in want)) { want[p] = 1; more = 1 } } ' +
  'delete want[top]; for (p in want) print p }\'); ' +
  '[ -z "$pids" ] || kill -s TERM $pids 2>/dev/null; true';

/**
 * Sends a signal (SIGKILL by default) to the command (OpenSSH's "signal" request). ssh2's
 * `channel.signal()` refuses once stdin was ended, which it always is here, so this goes
 * one level down.
 */
function killChannel(stream: ClientChannel, sig: 'KILL' | 'TERM' = 'KILL'): void {
  const ch = stream as unknown as { outgoing?: { id?: number; state?: string }; _client?: { _protocol?: { signal?(id: number, sig: string): void } } };
  try {
    if ((ch.outgoing?.state === 'open' || ch.outgoing?.state === 'eof') && ch.outgoing.id !== undefined) ch._client?._protocol?.signal?.(ch.outgoing.id, sig);
  } catch { /* not supported: closing the channel is all we can do */ }
}

/**
 * The transport for one inventory host: `opts` from the inventory and the call override
 * `~/.ssh/config` (looked up by `host`). Connects on first use.
 *
 * @example
 * const t = createSshTransport('web-01', { user: 'vagrant', privateKey: '.vagrant/machines/web-01/virtualbox/private_key' });
 */
export function createSshTransport(host: string, opts: Omit<SshConnectOptions, 'host'> = {}): SshTransport {
  return new SshTransport({ ...opts, host });
}

/**
 * Connects and logs in now; rejects with an unreachable `ShipshapeError` naming host,
 * address, port and the reason.
 *
 * @example
 * const t = await connectSsh({ host: 'web-01', address: '10.77.0.11', user: 'vagrant' });
 */
export async function connectSsh(opts: SshConnectOptions): Promise<SshTransport> {
  const t = new SshTransport(opts);
  await t.connect();
  return t;
}
