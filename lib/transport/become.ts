import { randomBytes } from 'node:crypto';
import { registerSecret, reveal } from '../secret.js';
import { quote } from './quote.js';
import type { Become } from './types.js';

export interface ResolvedBecome {
  user: string;
  password?: string;
}

/**
 * Normalizes the `become` option's shorthands (`true`, a user name, an object) into one
 * shape, revealing a secret password only here, where it is about to be used. A password
 * given as a plain string is registered as a secret, so no output shows it either.
 *
 * @example
 * resolveBecome('postgres')   // { user: 'postgres' }
 */
export function resolveBecome(b: Become | undefined): ResolvedBecome | undefined {
  if (b === undefined || b === false) return undefined;
  if (b === true) return { user: 'root' };
  if (typeof b === 'string') return { user: b };
  if (typeof b.password === 'string') registerSecret(b.password);
  return { user: b.user ?? 'root', password: b.password === undefined ? undefined : reveal(b.password) };
}

/**
 * A command wrapped to run as another user with sudo. Without a password: `sudo -n`, which
 * never asks (a password it would need is an error), and stdin goes straight to the command.
 * With one: a {@link SudoDialog} that sends the password only when sudo asks for it.
 */
export interface BecomeCommand {
  command: string;
  dialog?: SudoDialog;
}

/**
 * Wraps a shell command to run as another user with sudo (or leaves it alone when `b` is
 * undefined). The password never appears on a command line or in a log.
 *
 * @example
 * wrapBecome('whoami', { user: 'postgres' }).command   // 'sudo -n -H -u postgres -- sh -c whoami'
 */
export function wrapBecome(command: string, b: ResolvedBecome | undefined): BecomeCommand {
  if (!b) return { command };
  if (b.password === undefined) return { command: `sudo -n -H -u ${quote(b.user)} -- sh -c ${quote(command)}` };
  const dialog = new SudoDialog(b.user, b.password);
  // The shell sudo starts says so first: only then is stdin the command's.
  const inner = `printf '%s\\n' ${dialog.marker} >&2; ${command}`;
  return { command: `sudo -S -p ${quote(dialog.prompt)} -H -u ${quote(b.user)} -- sh -c ${quote(inner)}`, dialog };
}

/** What the transport does after feeding sudo's stderr to the dialog. */
export interface DialogStep {
  /** The command's own stderr, with the prompt and the marker taken out. */
  stderr: Buffer;
  /** Write this to stdin now (the password line). */
  send?: Buffer;
  /** The command runs: write its stdin now, then end it. */
  started?: boolean;
  /** sudo asked again after the password was sent: stop and fail with this text. */
  refused?: string;
}

/**
 * The conversation with `sudo -S -p PROMPT` when a become password is given. sudo prints the
 * prompt (a random one per command) on stderr when, and only when, it wants the password;
 * the shell it starts prints a random marker before the command runs. Nothing goes to stdin
 * before one of the two is seen, so with NOPASSWD, cached credentials or no sudo needed the
 * command never reads the password, and a wrong password is never followed by the
 * command's input (sudo would read it as more attempts).
 *
 * @example
 * const { command, dialog } = wrapBecome('cat', { user: 'root', password: 'pw' });
 * stream.stderr.on('data', (d) => { const s = dialog!.feed(d); if (s.send) stream.write(s.send); if (s.started) stream.end(input); });
 */
export class SudoDialog {
  readonly prompt = `[shipshape-sudo-${randomBytes(12).toString('hex')}]`;
  readonly marker = `shipshape-became-${randomBytes(12).toString('hex')}`;
  private pending = Buffer.alloc(0);
  private asked = 0;
  private state: 'waiting' | 'running' | 'refused' = 'waiting';

  constructor(readonly user: string, private readonly password: string) {}

  /** Whether the command itself runs (the marker was seen). */
  get started(): boolean {
    return this.state === 'running';
  }

  /** Takes the next piece of stderr; says what belongs to the command and what to do. */
  feed(chunk: Buffer): DialogStep {
    if (this.state === 'running') return { stderr: chunk };
    this.pending = Buffer.concat([this.pending, chunk]);
    const kept: Buffer[] = [];
    const step: DialogStep = { stderr: Buffer.alloc(0) };
    const prompt = Buffer.from(this.prompt);
    const marker = Buffer.from(this.marker + '\n');
    for (;;) {
      const p = this.pending.indexOf(prompt);
      const m = this.state === 'waiting' ? this.pending.indexOf(marker) : -1;
      if (p < 0 && m < 0) break;
      if (m >= 0 && (p < 0 || m < p)) {
        kept.push(this.pending.subarray(0, m), this.pending.subarray(m + marker.length));
        this.pending = Buffer.alloc(0);
        this.state = 'running';
        step.started = true;
        break;
      }
      kept.push(this.pending.subarray(0, p));
      this.pending = this.pending.subarray(p + prompt.length);
      this.asked++;
      if (this.asked === 1) {
        step.send = Buffer.from(this.password + '\n');
      } else if (this.state === 'waiting') {
        this.state = 'refused';
        step.refused = `sudo refused the become password for ${this.user} (it asked for it again)`;
      }
    }
    if (this.state !== 'running') {
      // Keep a tail that could be the start of a prompt or marker split across packets.
      const keep = Math.min(this.pending.length, Math.max(prompt.length, marker.length) - 1);
      kept.push(this.pending.subarray(0, this.pending.length - keep));
      this.pending = Buffer.from(this.pending.subarray(this.pending.length - keep));
    }
    step.stderr = Buffer.concat(kept);
    return step;
  }

  /** What is left of stderr when the command ended before the marker (sudo failed). */
  flush(): Buffer {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return rest;
  }
}

/** Where a command's stdin goes: a child's stdin pipe or an SSH channel. */
export interface StdinSink {
  write(data: Buffer): unknown;
  end(data?: Buffer): unknown;
}

/** Filters a become command's stderr while it drives its stdin; see {@link feedStdin}. */
export interface StderrFilter {
  /** Passes a stderr chunk through the dialog; returns what belongs in the result. */
  stderr(chunk: Buffer): Buffer;
  /** The rest, once the command ended. */
  end(): Buffer;
  /** Set when sudo refused the password (or never got to the command): the command fails with this text. */
  refused?: string;
  /** How to fix what `refused` says. */
  fix?: string;
}

/** How long sudo may take to run the command or ask for the password, by default. */
export const BECOME_TIMEOUT_MS = 20_000;

/**
 * Writes a command's input: at once without a dialog; with one, the password only when
 * sudo asks and the input only once the command runs (see {@link SudoDialog}). sudo that
 * does neither within `timeoutMs` (a PAM module with its own prompt, which replaces ours) is
 * given up on: `abort` is called and the filter says why, instead of a hang.
 *
 * @example
 * const filter = feedStdin(child.stdin, input, wrapped.dialog, { abort: () => child.kill() });
 * child.stderr.on('data', (d) => err.push(filter.stderr(d)));
 */
export function feedStdin(
  sink: StdinSink, input: Buffer | undefined, dialog: SudoDialog | undefined, o: { abort(): void; timeoutMs?: number },
): StderrFilter {
  const empty = Buffer.alloc(0);
  if (!dialog) {
    sink.end(input ?? empty);
    return { stderr: (c) => c, end: () => empty };
  }
  const ms = o.timeoutMs ?? BECOME_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const wait = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      filter.refused = `sudo did not run the command as ${dialog.user} within ${ms / 1000} s, nor ask for the password with the prompt it was given (-p)`;
      filter.fix = 'a PAM module may ask with its own prompt: set passprompt_override in sudoers for this user, or give it NOPASSWD';
      sink.end();
      o.abort();
    }, ms);
    timer.unref();
  };
  const filter: StderrFilter = {
    stderr: (chunk) => {
      const step = dialog.feed(chunk);
      if (step.send) {
        sink.write(step.send);
        wait();
      }
      if (step.started) {
        clearTimeout(timer);
        sink.end(input ?? empty);
      }
      if (step.refused) {
        clearTimeout(timer);
        filter.refused = step.refused;
        filter.fix = 'check the become password given for this host';
        // End of input: sudo gives up instead of reading the command's data as more attempts.
        sink.end();
      }
      return step.stderr;
    },
    end: () => {
      clearTimeout(timer);
      return dialog.flush();
    },
  };
  wait();
  return filter;
}
