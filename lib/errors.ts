import { redact } from './secret.js';

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
    super(redact(summary), ctx.cause === undefined ? undefined : { cause: ctx.cause });
    this.name = 'ShipshapeError';
    this.host = ctx.host;
    this.task = ctx.task;
    this.op = ctx.op;
    this.command = ctx.command === undefined ? undefined : redact(ctx.command);
    this.exitCode = ctx.exitCode;
    this.stderr = ctx.stderr === undefined ? undefined : redact(ctx.stderr);
    this.stdout = ctx.stdout === undefined ? undefined : redact(ctx.stdout);
    this.callSite = ctx.callSite;
    this.fix = ctx.fix;
    this.unreachable = ctx.unreachable ?? false;
  }

  /** The full text: summary, then context lines, then the fix. */
  explain(): string {
    const lines = [this.message];
    if (this.host) lines.push(`  host:    ${this.host}`);
    if (this.task) lines.push(`  task:    ${this.task}`);
    if (this.callSite) lines.push(`  at:      ${formatCallSite(this.callSite)}`);
    if (this.command) lines.push(`  command: ${oneLine(this.command)}`);
    if (this.exitCode !== undefined) lines.push(`  exit:    ${this.exitCode}`);
    if (this.stderr?.trim()) lines.push(`  stderr:  ${indent(this.stderr.trim())}`);
    else if (this.stdout?.trim()) lines.push(`  stdout:  ${indent(tail(this.stdout.trim()))}`);
    if (this.fix) lines.push(`  fix:     ${this.fix}`);
    return lines.join('\n');
  }
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
