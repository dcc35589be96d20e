/** What shell and command share: creates/removes/unless guards, cwd and env. */
import { argv, quote } from '../transport/quote.js';
import { section, splitSections } from './common.js';
import type { ArgKeys, Diff, OpSpec } from './types.js';

export interface Guards {
  /** Skip when this path exists (relative paths resolve against `cwd`). */
  creates?: string;
  /** Skip when this path does not exist. */
  removes?: string;
  /** Skip when this shell command (or argv array) exits 0; it runs during the probe, in `cwd` with `env`. */
  unless?: string | string[];
  /** Folder to run in. */
  cwd?: string;
  /** Environment variables for the command (and for `unless`). */
  env?: Record<string, string>;
}

/** The keys of {@link Guards}, for ops whose args extend it. */
export const GUARD_KEYS: ArgKeys<Guards> = { creates: 'string', removes: 'string', unless: 'string | string[]', cwd: 'string', env: 'object' };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `cd` and `export` lines that go before the command (and before `unless`), so both run in
 * the same folder and environment.
 *
 * @example
 * preamble({ cwd: '/opt/app', env: { PORT: '5000' } })   // 'cd -- /opt/app || exit 1\nexport PORT=5000\n'
 */
export function preamble(g: Guards): string {
  const lines: string[] = [];
  if (g.cwd !== undefined) lines.push(`cd -- ${quote(g.cwd)} || exit 1`);
  const env = Object.entries(g.env ?? {});
  if (env.length) lines.push(`export ${env.map(([k, v]) => `${k}=${quote(v)}`).join(' ')}`);
  return lines.map((l) => l + '\n').join('');
}

/** A guard path as the probe tests it: relative ones resolve against cwd. */
function guardPath(g: Guards, p: string): string {
  return p.startsWith('/') || g.cwd === undefined ? p : `${g.cwd.replace(/\/$/, '')}/${p}`;
}

const unlessScript = (g: Guards) => typeof g.unless === 'string' ? g.unless : argv(g.unless ?? []);
const hasGuard = (g: Guards) => g.creates !== undefined || g.removes !== undefined || g.unless !== undefined;

/**
 * Validation sentences for creates/removes/unless/cwd/env, caught when the plan is built.
 *
 * @example
 * validateGuards({ creates: 'venv' })   // ['creates "venv" must be an absolute path (or give cwd for it to be relative to)']
 */
export function validateGuards(g: Guards): string[] {
  const problems: string[] = [];
  const pathOk = (label: string, p: unknown) => {
    if (p === undefined) return;
    if (typeof p !== 'string' || p === '') problems.push(`${label} ${JSON.stringify(p)} must be a path`);
    else if (!p.startsWith('/') && g.cwd === undefined) problems.push(`${label} ${JSON.stringify(p)} must be an absolute path (or give cwd for it to be relative to)`);
  };
  pathOk('creates', g.creates);
  pathOk('removes', g.removes);
  if (g.cwd !== undefined && (typeof g.cwd !== 'string' || !g.cwd.startsWith('/'))) problems.push(`cwd ${JSON.stringify(g.cwd)} must be an absolute path`);
  if (g.unless !== undefined) {
    const ok = typeof g.unless === 'string' ? g.unless.trim() !== '' : Array.isArray(g.unless) && g.unless.length > 0 && g.unless.every((w) => typeof w === 'string');
    if (!ok) problems.push(`unless ${JSON.stringify(g.unless)} must be a shell command or a non-empty argv array of strings`);
  }
  if (g.env !== undefined) {
    if (g.env === null || typeof g.env !== 'object' || Array.isArray(g.env)) problems.push(`env ${JSON.stringify(g.env)} must be an object of NAME: value`);
    else {
      for (const [k, v] of Object.entries(g.env)) {
        if (!ENV_NAME.test(k)) problems.push(`env name ${JSON.stringify(k)} is not a valid variable name (letters, digits and _, not starting with a digit)`);
        if (typeof v !== 'string') problems.push(`env ${k}=${JSON.stringify(v)} must be a string`);
      }
    }
  }
  return problems;
}

/**
 * Probe printing one verdict: `skip creates`, `skip removes`, `skip unless` or `run`;
 * undefined without guards, since then there is nothing to ask the host.
 *
 * @example
 * guardsProbe({ creates: '/opt/x/venv/bin/activate' })
 * // "echo ::shipshape::guards; { if [ -e /opt/x/venv/bin/activate ]; then echo 'skip creates'; else echo run; fi\n} | base64 -w0; echo"
 */
export function guardsProbe(g: Guards): string | undefined {
  if (!hasGuard(g)) return undefined;
  const branches: string[] = [];
  if (g.creates !== undefined) branches.push(`[ -e ${quote(guardPath(g, g.creates))} ]; then echo 'skip creates'`);
  if (g.removes !== undefined) branches.push(`[ ! -e ${quote(guardPath(g, g.removes))} ]; then echo 'skip removes'`);
  if (g.unless !== undefined) branches.push(`sh -c ${quote(preamble(g) + unlessScript(g))} </dev/null >/dev/null 2>&1; then echo 'skip unless'`);
  return section('guards', `if ${branches.join('; elif ')}; else echo run; fi`);
}

/**
 * The diff of a guarded command: skipped with the reason, would run, or unknown without guards.
 *
 * @example
 * guardsDiff({ creates: '/opt/x/venv' }, '::shipshape::guards\nc2tpcCBjcmVhdGVzCg==\n', 'python3 -m venv /opt/x/venv')
 * // { changes: [], noop: '/opt/x/venv exists' }
 */
export function guardsDiff(g: Guards, stdout: string, shown: string): Diff {
  if (!hasGuard(g)) return { changes: [{ what: 'run', after: shown }], unknown: true };
  const verdict = (splitSections(stdout).guards ?? '').trim();
  if (verdict === 'skip creates') return { changes: [], noop: `${guardPath(g, g.creates!)} exists` };
  if (verdict === 'skip removes') return { changes: [], noop: `${guardPath(g, g.removes!)} does not exist` };
  // A long script is shown by its first line (a comment saying what it checks reads well there).
  if (verdict === 'skip unless') return { changes: [], noop: `unless succeeded: ${oneLine(unlessScript(g))}` };
  const why = [
    g.creates !== undefined ? `${guardPath(g, g.creates)} does not exist` : '',
    g.removes !== undefined ? `${guardPath(g, g.removes)} exists` : '',
    g.unless !== undefined ? 'unless failed' : '',
  ].filter(Boolean).join(', ');
  return { changes: [{ what: 'run', before: why, after: shown }] };
}

/**
 * An op that runs `body(args)` with the guards, cwd and env of its args.
 *
 * @example
 * export const shellOp = guardedOp<ShellArgs>({ kind: 'shell', body: (a) => a.command, shown: (a) => a.command, validateBody })
 */
export function guardedOp<A extends Guards>(spec: {
  kind: string;
  keys: ArgKeys<A>;
  body: (a: A) => string;
  shown: (a: A) => string;
  validateBody: (a: A) => string[];
}): OpSpec<A> {
  return {
    kind: spec.kind,
    keys: spec.keys,
    describe: (a) => `${spec.kind} ${oneLine(spec.shown(a))}`,
    validate: (a) => [...spec.validateBody(a), ...validateGuards(a)],
    probe: (a) => guardsProbe(a),
    diff: (a, probed) => guardsDiff(a, probed.stdout, spec.shown(a)),
    apply: (a) => [{ kind: 'exec', command: preamble(a) + spec.body(a) }],
  };
}

function oneLine(s: string): string {
  const first = s.trim().split('\n')[0] ?? '';
  const l = first.length < s.trim().length ? `${first} …` : first;
  return l.length > 72 ? `${l.slice(0, 71)}…` : l;
}
