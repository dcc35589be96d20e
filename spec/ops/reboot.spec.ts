// reboot: the op's table (it always changes; apply starts a detached reboot and asks the
// engine to reconnect), and the engine's reconnect loop on stand-in transports that pretend
// the host went down (nothing here reboots this machine: the reboot script is never run).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject } from '../../lib/engine/deploy.js';
import { rebootOp, rebootScript, type RebootArgs } from '../../lib/ops/reboot.js';
import type { EngineEvent } from '../../lib/report/events.js';
import type { ExecOptions, Transport } from '../../lib/transport/types.js';
import { CountingTransport } from '../support/counting-transport.js';
import { assertShellSyntax, opTable } from '../support/op-harness.js';

opTable<RebootArgs>(rebootOp, [
  {
    name: 'always reboots, then reconnects until the marker on /run is gone',
    args: { timeout: 120 },
    expect: {
      probe: null,
      changes: [{ what: 'state', before: 'running', after: 'rebooted' }],
      actions: [{ kind: 'exec' }, { kind: 'reconnect', timeoutMs: 120_000 }],
    },
  },
  { name: 'check mode only says it would reboot', args: {}, check: true, expect: { changes: [{ what: 'state', after: 'rebooted' }], actions: [] } },
  { name: 'rejects a timeout of 0', args: { timeout: 0 }, expect: { problems: [/timeout 0 must be a number of seconds above 0/] } },
  { name: 'rejects a timeout that is not a number', args: { timeout: Number.NaN }, expect: { problems: [/timeout null must be/] } },
]);

test('the reboot script is valid sh, detached, and prefers a systemd timer over the SSH session', () => {
  const s = rebootScript('/run/shipshape-reboot.abc');
  assertShellSyntax(s, 'the reboot script');
  assert.match(s, /^: > \/run\/shipshape-reboot\.abc$/m);
  assert.match(s, /systemd-run --quiet --no-block --on-active=1 .*systemctl reboot/);
  assert.match(s, /nohup sh -c 'sleep 1; shutdown -r now/);
});

test('the default timeout is 600 s, as Ansible', () => {
  const diff = rebootOp.diff({}, { stdout: '', code: 0 }, { host: 'h', facts: undefined as never, baseDir: '.', check: false }) as ReturnType<typeof rebootOp.diff> & { data: string };
  const actions = rebootOp.apply({}, diff as never, { host: 'h', facts: undefined as never, baseDir: '.', check: false });
  assert.equal(actions[1], { kind: 'reconnect', timeoutMs: 600_000, rebooted: `[ ! -e ${(diff as { data: string }).data} ]` });
});

/** A local transport that plays a host being rebooted: the reboot script is swallowed, and the marker test fails up to connection number 1 + `notYet`. */
class RebootingHost extends CountingTransport {
  constructor(host: string, private readonly state: { connections: number; notYet: number; rebootSent: number }) { super(host); }
  override exec(command: string, opts?: ExecOptions) {
    if (command.includes('systemctl reboot')) { this.state.rebootSent++; return Promise.resolve({ code: 0, stdout: '', stderr: '' }); }
    if (command.startsWith('[ ! -e /run/shipshape-reboot.')) {
      return Promise.resolve({ code: this.state.connections <= 1 + this.state.notYet ? 1 : 0, stdout: '', stderr: '' });
    }
    return super.exec(command, opts);
  }
}

async function run(state: { connections: number; notYet: number; rebootSent: number }, timeout: number, failConnects = 0) {
  const p = createProject();
  p.host('box', { transport: 'local' }).reboot({ timeout }).shell('echo after', { name: 'after the reboot' });
  const events: EngineEvent[] = [];
  const transports: Transport[] = [];
  const result = await deployProject(p, {
    argv: [], keepExitCode: true, reporter: (e) => events.push(e),
    connect: async (h) => {
      state.connections++;
      if (state.connections > 1 && failConnects-- > 0) throw Object.assign(new Error('connect ECONNREFUSED 10.77.0.9:22'), {});
      const t = new RebootingHost(h.name, state);
      transports.push(t);
      return t;
    },
  });
  const ends = events.filter((e): e is Extract<EngineEvent, { type: 'task-end' }> => e.type === 'task-end');
  return { result, ends, transports };
}

test('the engine connects again until the host has rebooted; later tasks use the new connection', async () => {
  const state = { connections: 0, notYet: 2, rebootSent: 0 };
  const { result, ends, transports } = await run(state, 30, 1);
  assert.is(result.exitCode, 0, JSON.stringify(ends.map((e) => [e.task.name, e.result.status, e.result.error?.message])));
  assert.is(state.rebootSent, 1);
  // the first connection, one refused, one that answered before the reboot, then the one that stays
  assert.is(state.connections, 4);
  assert.equal(ends.map((e) => `${e.task.name}: ${e.result.status}`), ['reboot: changed', 'after the reboot: changed']);
  const last = transports[transports.length - 1] as CountingTransport;
  assert.ok(last.calls.some((c) => c.text.includes('echo after')), 'the task after the reboot ran on the new connection');
  assert.ok(transports.every((t) => (t as CountingTransport).closed), 'every connection was closed');
});

test('a host that does not come back within the timeout is unreachable, with the last reason', async () => {
  const state = { connections: 0, notYet: 1000, rebootSent: 0 };
  const { result, ends } = await run(state, 1.2);
  const r = ends.find((e) => e.task.name === 'reboot')!;
  assert.is(r.result.status, 'unreachable');
  assert.match(r.result.error!.message, /did not come back within 1 s of its reboot \(last try: it answered, but had not rebooted yet\)/);
  assert.is(result.exitCode, 3);
  assert.is(ends.find((e) => e.task.name === 'after the reboot')?.result.status ?? 'not run', 'not run');
});

test.run();
