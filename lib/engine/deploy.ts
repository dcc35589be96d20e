import type { Project } from '../dsl/project.js';
import { DEPLOY_FLAGS, flagHelp, HELP, parseFlags } from '../flags.js';
import { ShipshapeError } from '../errors.js';
import { buildPlan } from '../plan/build.js';
import type { EngineEvent, Reporter, RunSummary } from '../report/events.js';
import { jsonPathProblem, jsonReporter } from '../report/json.js';
import { liveReporter } from '../report/live.js';
import { plainReporter } from '../report/plain.js';
import { connectHost } from '../transport/connect.js';
import { signalLocalCommands } from '../transport/local.js';
import type { HostPlan } from '../plan/types.js';
import type { Transport } from '../transport/types.js';
import { runPlan } from './engine.js';
import { parseMaxFailPercent, parseSerial, type Serial } from './serial.js';

export interface DeployOptions {
  /** Command-line arguments; default `process.argv.slice(2)`. */
  argv?: string[];
  check?: boolean;
  diff?: boolean;
  limit?: string[];
  forks?: number;
  /**
   * Roll out in batches (as Ansible's `serial`): a number of hosts, a share (`'25%'`) or a
   * list of sizes whose last one repeats (`[1, 5, '25%']`). A batch starts only when the
   * previous one finished.
   */
  serial?: Serial;
  /** With `serial`: stop the remaining batches once more than this percentage of a batch failed (default: when all of it failed). */
  maxFailPercent?: number;
  json?: string;
  acceptNewHostKeys?: boolean;
  /** Run notified handlers even on hosts where a task failed (as Ansible's --force-handlers). */
  forceHandlers?: boolean;
  /** Only tasks with one of these tags run (`--tags`; see README "Selecting tasks: tags"). */
  tags?: string[];
  /** Tasks with one of these tags are left out (`--skip-tags`). */
  skipTags?: string[];
  /** 1 (`-v`): also the commands sent to hosts; 2 (`-vv`): also probe output and timings. */
  verbosity?: number;
  /** Only errors and the recap (`--quiet`). */
  quiet?: boolean;
  /** Print the flags deploy() understands and run nothing (`tsx deploy.ts --help`). */
  help?: boolean;
  /** Replaces the terminal reporter. */
  reporter?: Reporter;
  /** Extra reporters (events also go to the terminal reporter). */
  listeners?: Reporter[];
  /** For tests: how to reach a host. */
  connect?: (host: HostPlan) => Promise<Transport>;
  signal?: AbortSignal;
  /** Leave process.exitCode alone. */
  keepExitCode?: boolean;
}

export interface DeployResult extends RunSummary {
  /** Problems that made the plan invalid (nothing was contacted). */
  problems?: { message: string; host?: string; task?: string }[];
  /** 0 all good, 2 a task failed, 3 a host was unreachable, 4 invalid plan, 130 interrupted (SIGINT or the signal option), 143 terminated (SIGTERM). */
  exitCode: 0 | 2 | 3 | 4 | 130 | 143;
}

const USAGE = 'usage: tsx deploy.ts [--check] [--diff] [--limit host,group] [--forks N] [--serial N] [--max-fail-percent P] [--json FILE] [--force-handlers] [--accept-new-host-keys] [--tags T] [--skip-tags T] [-v|-vv|--quiet]';

/**
 * Reads the flags deploy() understands (the table {@link DEPLOY_FLAGS}, which `shipshape run`
 * checks too). An unknown flag (with the closest valid one), a flag that needs a value and has
 * none (or an empty one), and an empty `--limit` are errors: nothing runs on a guess.
 *
 * @example
 * parseDeployArgs(['--check', '--limit', 'web-01,db'])   // { check: true, limit: ['web-01', 'db'], ... }
 */
export function parseDeployArgs(argv: string[]): Partial<DeployOptions> {
  const { values: v, positionals } = parseFlags(argv, [...DEPLOY_FLAGS, HELP], { command: 'deploy', usage: USAGE });
  const bad = (message: string) => new ShipshapeError(`deploy: ${message}`, { fix: USAGE });
  if (positionals.length) throw bad(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const forks = v.forks === undefined ? undefined : Number(v.forks);
  if (forks !== undefined && (!/^\d+$/.test(String(v.forks)) || forks < 1)) throw bad(`--forks ${String(v.forks)} is not a positive whole number`);
  const serial = v.serial === undefined ? undefined : (parseSerial(String(v.serial)) as Serial);
  const maxFailPercent = v['max-fail-percent'] === undefined ? undefined : parseMaxFailPercent(String(v['max-fail-percent']));
  return {
    ...(serial ? { serial } : {}), ...(maxFailPercent !== undefined ? { maxFailPercent } : {}),
    check: v.check === true || undefined, diff: v.diff === true || undefined, limit: v.limit as string[] | undefined, forks,
    json: v.json as string | undefined, forceHandlers: v['force-handlers'] === true || undefined,
    acceptNewHostKeys: v['accept-new-host-keys'] === true || undefined, help: v.help === true || undefined,
    ...tagsAndOutput(v),
  };
}

/** --tags, --skip-tags, -v and --quiet, present only when given. */
function tagsAndOutput(v: Record<string, unknown>): Partial<DeployOptions> {
  return {
    ...(v.tags ? { tags: v.tags as string[] } : {}), ...(v['skip-tags'] ? { skipTags: v['skip-tags'] as string[] } : {}),
    ...(v.verbose ? { verbosity: v.verbose as number } : {}), ...(v.quiet ? { quiet: true } : {}),
  };
}

/**
 * Builds the plan, validates all of it before any connection, runs it, reports, and sets
 * `process.exitCode` (0 all good, 2 a task failed, 3 a host was unreachable, 4 the plan
 * was invalid). It does not throw for an invalid plan or a failed run.
 *
 * @example
 * const p = createProject();
 * p.host('localhost', { transport: 'local' }).file('/tmp/x', { content: 'hi\n' });
 * const { ok, hosts, exitCode } = await deployProject(p, { argv: ['--check'] });
 */
export async function deployProject(project: Project, options: DeployOptions = {}): Promise<DeployResult> {
  const setExit = (code: DeployResult['exitCode']) => { if (!options.keepExitCode) process.exitCode = code; return code; };
  let o: DeployOptions;
  try {
    o = { ...parseDeployArgs(options.argv ?? process.argv.slice(2)), ...stripUndefined(options) };
    if (o.quiet && o.verbosity) throw new ShipshapeError('deploy: --quiet and --verbose ask for less and for more output at once', { fix: 'give one of them' });
    if (o.help) {
      process.stdout.write(`${USAGE}\n\nValidates the plan, then runs it.\n\noptions:\n${flagHelp([...DEPLOY_FLAGS, HELP])}\n`);
      return { ok: true, hosts: {}, check: false, aborted: false, durationMs: 0, exitCode: setExit(0) };
    }
  } catch (e) {
    const err = e as ShipshapeError;
    (options.reporter ?? plainReporter())({ type: 'plan-invalid', problems: [{ message: `${err.message}${err.fix ? ` (${err.fix})` : ''}` }] });
    return { ok: false, hosts: {}, check: false, aborted: false, durationMs: 0, problems: [{ message: err.message }], exitCode: setExit(4) };
  }
  const tty = process.stdout.isTTY === true && !process.env.CI;
  const shown = { diff: o.diff, verbosity: o.verbosity, quiet: o.quiet };
  const reporters: Reporter[] = [o.reporter ?? (tty ? liveReporter(shown) : plainReporter(shown)), ...(o.listeners ?? [])];
  // A report that cannot be written is a plan problem, found before any host is contacted.
  const jsonProblem = o.json === undefined ? undefined : jsonPathProblem(o.json);
  if (o.json && !jsonProblem) reporters.push(jsonReporter(o.json, { diff: o.diff }));
  const emit = (e: EngineEvent) => { for (const r of reporters) r(e); };

  const { plan, problems } = buildPlan(project, { limit: o.limit, tags: o.tags, skipTags: o.skipTags });
  if (jsonProblem) problems.push({ message: jsonProblem });
  const rollout = rolloutOptions(o, problems);
  if (problems.length) {
    emit({ type: 'plan-invalid', problems });
    return { ok: false, hosts: {}, check: !!o.check, aborted: false, durationMs: 0, problems, exitCode: setExit(4) };
  }
  // The first SIGINT or SIGTERM stops new tasks and signals running commands (they are
  // reported as aborted, then the recap); a second one ends everything at once.
  const ac = new AbortController();
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    if (ac.signal.aborted) {
      // The first interrupt sent TERM (traps ran); now at once, before tsx's CLI kills this process.
      signalLocalCommands('SIGKILL');
      process.exit(sig === 'SIGTERM' ? 143 : 130);
    }
    ac.abort(sig);
  };
  const onSigint = () => onSignal('SIGINT');
  const onSigterm = () => onSignal('SIGTERM');
  const outer = o.signal;
  outer?.addEventListener('abort', () => ac.abort('SIGINT'), { once: true });
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  keepRunningWithoutReader();
  try {
    const summary = await runPlan(plan, {
      check: o.check, diff: o.diff, forks: o.forks, emit, ...rollout, signal: ac.signal, forceHandlers: o.forceHandlers,
      connect: o.connect ?? ((h) => connectHost(h, { acceptNewHostKeys: o.acceptNewHostKeys })),
    });
    const stats = Object.values(summary.hosts);
    const code = summary.aborted ? (ac.signal.reason === 'SIGTERM' ? 143 : 130)
      : stats.some((s) => s.failed > 0) ? 2 : stats.some((s) => s.unreachable > 0) ? 3 : summary.ok ? 0 : 2;
    return { ...summary, exitCode: setExit(code) };
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}

/** `serial` and `maxFailPercent` checked (a bad one is a plan problem: nothing is contacted). */
function rolloutOptions(o: DeployOptions, problems: { message: string }[]): { serial?: ReturnType<typeof parseSerial>; maxFailPercent?: number } {
  try {
    const serial = o.serial === undefined ? undefined : parseSerial(o.serial);
    const maxFailPercent = o.maxFailPercent === undefined ? undefined : parseMaxFailPercent(o.maxFailPercent);
    // Without batches there is nothing to stop: every host has started by the time one fails.
    if (maxFailPercent !== undefined && !serial) throw new ShipshapeError('--max-fail-percent stops the remaining batches of a rollout, so it needs --serial', { fix: 'add --serial, e.g. --serial 1 --max-fail-percent 0' });
    return { serial, maxFailPercent };
  } catch (e) {
    const err = e as ShipshapeError;
    problems.push({ message: `${err.message}${err.fix ? ` (${err.fix})` : ''}` });
    return {};
  }
}

let readerGuard = false;
/**
 * A reader that went away (`tsx deploy.ts | head`) must not kill a deploy half-way: the rest
 * of the output is lost, the run goes on and its exit code stays what it is. Kept for the
 * process's life: the error of the last write comes a tick after the run ended.
 */
function keepRunningWithoutReader(): void {
  if (readerGuard) return;
  readerGuard = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e; });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== 'argv')) as Partial<T>;
}
