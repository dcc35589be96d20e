// One harness for every operation's table of cases (pyinfra's fixture style): args, probed
// output and facts in; validation problems, changes, no-op reason and exact actions out.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Action, Change, Diff, Facts, OpContext, OpSpec, Probed } from '../../lib/ops/types.js';
import { withFacts } from '../../lib/engine/facts.js';

type Match = string | RegExp;

/** A change as a case expects it: only the given keys (and content keys) are compared. */
export type ChangeMatch = Omit<Partial<Change>, 'content'> & { content?: Partial<NonNullable<Change['content']>> };

export interface OpCase<A> {
  name: string;
  args: A;
  /** The probe's output; a string is stdout with exit code 0. */
  probed?: Probed | string;
  facts?: Partial<Facts>;
  /** Where relative local paths resolve (validate and diff). */
  baseDir?: string;
  /** Host variables for validation. */
  vars?: Record<string, unknown>;
  check?: boolean;
  expect: {
    /** Validation problems, in order (a string must equal, a RegExp must match); [] = valid. */
    problems?: Match[];
    /** Fragments the probe script must contain; null = the op needs no probe. */
    probe?: Match[] | null;
    changes?: ChangeMatch[];
    noop?: Match;
    unknown?: boolean;
    /** apply's actions, exactly (partial objects compare the keys they give). */
    actions?: (Action | Partial<Action>)[];
    throws?: RegExp;
  };
}

export const defaultFacts: Facts = withFacts({
  hostname: 'web-01',
  os: { id: 'debian', versionId: '12', codename: 'bookworm' },
  arch: 'x86_64',
  init: 'sysvinit',
  serviceManager: 'sysvinit',
  cpus: 2,
  user: 'root',
  vars: {},
});

function matches(actual: string | undefined, want: Match): boolean {
  if (actual === undefined) return false;
  return typeof want === 'string' ? actual === want : want.test(actual);
}

/** Fails when `script` is not valid sh syntax (catches quoting mistakes). */
export function assertShellSyntax(script: string, what: string): void {
  const r = spawnSync('/bin/sh', ['-n', '-c', script], { encoding: 'utf8' });
  assert.is(r.status, 0, `${what} is not valid sh: ${r.stderr}\n${script}`);
}

function compareChange(actual: Change | undefined, want: ChangeMatch, i: number): void {
  assert.ok(actual, `change ${i} missing: wanted ${JSON.stringify(want)}`);
  for (const [k, v] of Object.entries(want)) {
    const got = (actual as unknown as Record<string, unknown>)[k];
    if (k === 'content' && v && typeof v === 'object') {
      for (const [ck, cv] of Object.entries(v)) assert.equal((got as Record<string, unknown>)?.[ck], cv, `change ${i} content.${ck}`);
    } else {
      assert.equal(got, v, `change ${i} (${actual!.what}) ${k}`);
    }
  }
}

function normalize(x: unknown): unknown {
  if (Buffer.isBuffer(x)) return x.toString('utf8');
  return x;
}

function compareAction(actual: Action | undefined, want: Partial<Action>, i: number): void {
  assert.ok(actual, `action ${i} missing: wanted ${JSON.stringify(want)}`);
  for (const [k, v] of Object.entries(want)) {
    assert.equal(normalize((actual as Record<string, unknown>)[k]), normalize(v), `action ${i} ${k}`);
  }
}

/** Runs `validate`, `probe`, `diff` and `apply` of one case and checks what it expects. */
export async function runCase<A>(op: OpSpec<A>, c: OpCase<A>): Promise<{ diff?: Diff; actions?: Action[] }> {
  const baseDir = c.baseDir ?? process.cwd();
  const e = c.expect;
  const problems = op.validate(c.args, { host: 'web-01', baseDir, vars: c.vars ?? {} });
  if (e.problems !== undefined) {
    assert.equal(problems.length, e.problems.length, `problems: ${JSON.stringify(problems)}`);
    e.problems.forEach((p, i) => assert.ok(matches(problems[i], p), `problem ${i}: ${JSON.stringify(problems[i])} does not match ${p}`));
  } else {
    assert.equal(problems, [], 'the case\'s args should be valid');
  }
  if (c.probed === undefined && e.changes === undefined && e.throws === undefined && e.probe === undefined) return {};

  const probe = (op.probe as (a: A, ctx?: { baseDir: string }) => string | undefined)(c.args, { baseDir });
  // Also as the engine's batch wraps it: in a subshell with other probes.
  if (probe !== undefined) assertShellSyntax(`( ${probe}\n) </dev/null 2>/dev/null; echo next`, 'the probe');
  if (e.probe === null) assert.is(probe, undefined, 'this op needs no probe');
  for (const frag of e.probe ?? []) assert.ok(probe !== undefined && (typeof frag === 'string' ? probe.includes(frag) : frag.test(probe)), `probe lacks ${frag}:\n${probe}`);
  if (c.probed === undefined && e.changes === undefined && e.throws === undefined) return {};

  const probed: Probed = typeof c.probed === 'string' ? { stdout: c.probed, code: 0 } : c.probed ?? { stdout: '', code: 0 };
  const ctx: OpContext = { host: 'web-01', facts: { ...defaultFacts, ...c.facts }, baseDir, check: c.check ?? false };
  let diff: Diff;
  try {
    diff = await op.diff(c.args, probed, ctx);
  } catch (err) {
    if (!e.throws) throw err;
    assert.match((err as Error).message, e.throws);
    return {};
  }
  if (e.throws) assert.unreachable(`expected diff to throw ${e.throws}, got ${JSON.stringify(diff.changes)}`);
  if (e.changes !== undefined) {
    assert.equal(diff.changes.length, e.changes.length, `changes: ${JSON.stringify(diff.changes.map((x) => ({ ...x, content: undefined })))}`);
    e.changes.forEach((w, i) => compareChange(diff.changes[i], w, i));
  }
  if (e.noop !== undefined) assert.ok(matches(diff.noop, e.noop), `noop ${JSON.stringify(diff.noop)} does not match ${e.noop}`);
  assert.is(diff.unknown === true, e.unknown === true, 'unknown');
  // Like runOp: apply runs only when something changes (or the op cannot know), never in check mode.
  const actions = (diff.changes.length > 0 || diff.unknown) && !ctx.check ? op.apply(c.args, diff, ctx) : [];
  for (const a of actions) if (a.kind === 'exec') assertShellSyntax(a.command, 'an action');
  if (e.actions !== undefined) {
    assert.equal(actions.length, e.actions.length, `actions: ${JSON.stringify(actions.map((a) => a.kind === 'exec' ? a.command : a.kind === 'put' ? `put ${a.path}` : a.kind))}`);
    e.actions.forEach((w, i) => compareAction(actions[i], w, i));
  }
  return { diff, actions };
}

/** Registers one uvu test per case, named `<kind>: <case name>`. */
export function opTable<A>(op: OpSpec<A>, cases: OpCase<A>[], defaults: Partial<OpCase<A>> = {}): void {
  for (const c of cases) test(`${op.kind}: ${c.name}`, async () => { await runCase(op, { ...defaults, ...c }); });
}

/**
 * What `contentProbe` prints for a path: its stat line, then sha256 and base64 content for a
 * file (as this machine printed them, e.g. `file 644 root root 0 0`).
 */
export function probedFile(statLine: string, content?: string | Buffer): string {
  if (content === undefined) return `${statLine}\n-\n`;
  const buf = Buffer.from(content);
  return `${statLine}\n${createHash('sha256').update(buf).digest('hex')}\n${buf.toString('base64')}\n`;
}

export function sha(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Probe output as `section(name, script)` prints it, from a readable form: each
 * `::shipshape::name` line followed by the lines that section's script printed. Each
 * section's text is base64-encoded here, as the probe does on the host.
 *
 * @example
 * sections('::shipshape::group\nwww:x:1500:\n')   // '::shipshape::group\nd3d3Ong6MTUwMDoK\n'
 */
export function sections(readable: string): string {
  const M = '::shipshape::';
  const parts = readable.split(new RegExp(`^(?=${M})`, 'm'));
  return parts.map((p) => {
    if (!p.startsWith(M)) return p;
    const nl = p.indexOf('\n');
    const [marker, body] = nl < 0 ? [p, ''] : [p.slice(0, nl), p.slice(nl + 1)];
    return `${marker}\n${Buffer.from(body).toString('base64')}\n`;
  }).join('');
}

/**
 * The stat line `statProbe` prints for a symbolic link (its target as base64).
 *
 * @example
 * statLink('777 root root', '/tmp/fx/motd')   // 'link 777 root root L3RtcC9meC9tb3Rk'
 */
export function statLink(modeOwnerGroup: string, target: string): string {
  return `link ${modeOwnerGroup} ${Buffer.from(target).toString('base64')}`;
}
