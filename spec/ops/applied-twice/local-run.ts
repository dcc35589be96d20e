// Runs operations for real on this machine through the local transport, as the engine does:
// probe (with the op's context) → diff → apply, or probe → diff only in check mode.
import { hostname } from 'node:os';
import * as assert from 'uvu/assert';
import { snapshot, tmpDir } from '../../support/tmp.js';
import { LocalTransport } from '../../../lib/transport/local.js';
import { runOp, type OpOutcome } from '../../../lib/engine/run-op.js';
import { withFacts } from '../../../lib/engine/facts.js';
import type { Facts, OpSpec, Probed } from '../../../lib/ops/types.js';

export const transport = new LocalTransport('localhost');

export const localFacts: Facts = withFacts({
  hostname: hostname(),
  os: { id: 'debian', versionId: '12', codename: 'bookworm' },
  arch: process.arch === 'x64' ? 'x86_64' : process.arch,
  init: 'sysvinit',
  serviceManager: 'sysvinit',
  cpus: 2,
  user: 'root',
  vars: { app: 'webapp' },
});

export interface RunOptions {
  check?: boolean;
  baseDir?: string;
}

/** One probe → diff → apply of `op` on this machine. */
export async function run<A>(op: OpSpec<A>, args: A, o: RunOptions = {}): Promise<OpOutcome> {
  const baseDir = o.baseDir ?? process.cwd();
  const script = (op.probe as (a: A, ctx?: { baseDir: string }) => string | undefined)(args, { baseDir });
  let probed: Probed = { stdout: '', code: 0 };
  if (script !== undefined) {
    const r = await transport.exec(script);
    probed = { stdout: r.stdout, code: r.code };
  }
  return runOp(op, args, transport, { host: 'localhost', facts: localFacts, baseDir, check: o.check ?? false, probed });
}

/** Runs the op twice: the first run's outcome, then the second's. */
export async function twice<A>(op: OpSpec<A>, args: A, o: RunOptions = {}): Promise<[OpOutcome, OpOutcome]> {
  const first = await run(op, args, o);
  const second = await run(op, args, o);
  return [first, second];
}

/** `what` of each change, for messages. */
export const whats = (o: OpOutcome) => o.diff.changes.map((c) => c.what);

const made: (() => void)[] = [];
// uvu loads every suite before running any, so one suite's `after` would remove another's
// dirs: they all go when the process exits, failed or not.
process.on('exit', () => { for (const c of made.splice(0)) c(); });

/** A temp dir under os.tmpdir(), removed when the process exits. */
export function scratch(): string {
  const t = tmpDir();
  made.push(t.cleanup);
  return t.dir;
}

/**
 * Ansible's integration check: in check mode on a fresh dir the op reports a change and the
 * tree stays byte-identical; then for real the first run changes and the second does not.
 * Returns the dir of the real runs.
 */
export async function idempotent<A>(op: OpSpec<A>, make: (dir: string) => A, o: RunOptions & { prepare?: (dir: string) => void } = {}): Promise<{ dir: string; first: OpOutcome; second: OpOutcome }> {
  const fresh = scratch();
  o.prepare?.(fresh);
  const before = snapshot(fresh);
  const checked = await run(op, make(fresh), { ...o, check: true });
  assert.ok(checked.changed, 'check mode reports a change');
  assert.is(snapshot(fresh), before, 'check mode changed nothing');
  const dir = scratch();
  o.prepare?.(dir);
  const [first, second] = await twice(op, make(dir), o);
  assert.ok(first.changed, 'the first run changes');
  assert.not.ok(second.changed, `the second run changes nothing, but got ${JSON.stringify(whats(second))}`);
  assert.ok(second.diff.noop, 'and says why');
  return { dir, first, second };
}
