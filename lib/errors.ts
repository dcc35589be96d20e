import { inspect } from 'node:util';
import './report/debug-log.js';
import { escapeLine, escapeText } from './report/escape.js';
import { redact } from './report/redact.js';

/** Where in the user's code a task was declared. */
export interface CallSite {
  file: string;
  line: number;
  column: number;
}

/**
 * A call site as `file:line:column`, the form editors jump to.
 *
 * @example
 * formatCallSite({ file: '/srv/deploy.ts', line: 4, column: 3 })   // '/srv/deploy.ts:4:3'
 */
export function formatCallSite(cs: CallSite | undefined): string {
  return cs ? `${cs.file}:${cs.line}:${cs.column}` : '';
}

export interface ErrorContext {
  host?: string;
  task?: string;
  op?: string;
  command?: string;
  exitCode?: number;
  stdout?: string;
  stderr?: string;
  callSite?: CallSite;
  /** How to fix it, when known. */
  fix?: string;
  /** The host could not be reached (connect failed or the connection was lost). */
  unreachable?: boolean;
  cause?: unknown;
}

/**
 * The one error class of shipshape. The first line of `message` is short; `explain()`
 * adds the context (host, task, command, exit code, stderr, call site) and the fix.
 * All text is redacted of secrets.
 */
export class ShipshapeError extends Error {
  readonly host?: string;
  readonly task?: string;
  readonly op?: string;
  readonly command?: string;
  readonly exitCode?: number;
  readonly stderr?: string;
  readonly stdout?: string;
  readonly callSite?: CallSite;
  readonly fix?: string;
  readonly unreachable: boolean;

  constructor(summary: string, ctx: ErrorContext = {}) {
    super(escapeText(redact(summary)), ctx.cause === undefined ? undefined : { cause: redactCause(ctx.cause) });
    this.name = 'ShipshapeError';
    this.host = opt(ctx.host);
    this.task = opt(ctx.task);
    this.op = ctx.op;
    this.command = opt(ctx.command);
    this.exitCode = ctx.exitCode;
    this.stderr = opt(ctx.stderr);
    this.stdout = opt(ctx.stdout);
    this.callSite = ctx.callSite;
    this.fix = opt(ctx.fix);
    this.unreachable = ctx.unreachable ?? false;
  }

  /**
   * The full text: summary, then context lines, then the fix. Redacted again (a secret made
   * after the error still counts) and with control characters of remote output shown as
   * escapes, so it is safe to print on a terminal.
   */
  explain(): string {
    const lines = [this.message];
    if (this.host) lines.push(`  host:    ${escapeLine(this.host)}`);
    if (this.task) lines.push(`  task:    ${escapeLine(this.task)}`);
    if (this.callSite) lines.push(`  at:      ${formatCallSite(this.callSite)}`);
    if (this.command) lines.push(`  command: ${oneLine(this.command)}`);
    if (this.exitCode !== undefined) lines.push(`  exit:    ${this.exitCode}`);
    if (this.stderr?.trim()) lines.push(`  stderr:  ${indent(this.stderr.trim())}`);
    else if (this.stdout?.trim()) lines.push(`  stdout:  ${indent(tail(this.stdout.trim()))}`);
    if (this.fix) lines.push(`  fix:     ${this.fix}`);
    return escapeText(redact(lines.join('\n')));
  }
}

/** Redacted: each field is masked before anything joins, quotes or shortens it. */
function opt(s: string | undefined): string | undefined {
  return s === undefined ? undefined : redact(s);
}

/**
 * The cause as an Error whose message, stack and string fields are redacted, its own cause
 * likewise: the raw original error may hold a secret (a command line, a server's answer),
 * and whoever prints the error (Node for an uncaught one, a debug log) prints its cause.
 */
function redactCause(cause: unknown, depth = 0): unknown {
  if (cause instanceof ShipshapeError) return cause;
  if (typeof cause === 'string') return redact(cause);
  if (!(cause instanceof Error)) return cause === null || typeof cause !== 'object' ? cause : redact(inspect(cause, { depth: 3 }));
  const copy = new Error(redact(cause.message));
  copy.name = cause.name;
  copy.stack = cause.stack === undefined ? undefined : redact(cause.stack);
  for (const [k, v] of Object.entries(cause)) {
    if (typeof v === 'string') (copy as unknown as Record<string, unknown>)[k] = redact(v);
    else if (typeof v === 'number' || typeof v === 'boolean') (copy as unknown as Record<string, unknown>)[k] = v;
  }
  if (cause.cause !== undefined && depth < 5) copy.cause = redactCause(cause.cause, depth + 1);
  return copy;
}

function oneLine(s: string): string {
  const l = s.replace(/\s*\\\n\s*/g, ' ').replace(/\n/g, '; ');
  return l.length > 300 ? l.slice(0, 297) + '...' : l;
}
function tail(s: string): string {
  const lines = s.split('\n');
  return lines.length > 20 ? ['...', ...lines.slice(-20)].join('\n') : s;
}
function indent(s: string): string {
  return tail(s).split('\n').join('\n           ');
}

/**
 * Wraps anything thrown into a ShipshapeError, keeping the original as `cause`.
 *
 * @example
 * catch (e) { throw toShipshapeError(e, { host: 'web-01', task: 'apt nginx' }); }
 */
export function toShipshapeError(e: unknown, ctx: ErrorContext = {}): ShipshapeError {
  if (e instanceof ShipshapeError) {
    if (ctx.host && !e.host) return new ShipshapeError(e.message, { ...pick(e), ...ctx, cause: e.cause });
    return e;
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new ShipshapeError(msg, { ...ctx, cause: e });
}

function pick(e: ShipshapeError): ErrorContext {
  return {
    host: e.host, task: e.task, op: e.op, command: e.command, exitCode: e.exitCode,
    stderr: e.stderr, stdout: e.stdout, callSite: e.callSite, fix: e.fix, unreachable: e.unreachable,
  };
}
