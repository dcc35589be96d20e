// Helpers of the applied-twice specs that run on a real lab host (copied from spec/e2e/ops-lab.spec.ts):
// the lab held up for a whole suite, quiet deploys with task results by name, status checks.
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Project } from '../../../lib/dsl/project.js';
import { deployProject, type DeployResult } from '../../../lib/engine/deploy.js';
import type { LabHost } from '../../../lib/lab/index.js';
import type { EngineEvent, TaskResult } from '../../../lib/report/events.js';
import { beforeAll } from '../../support/before-all.js';
import { ssh, withLab } from '../../support/lab.js';

export interface Run { result: DeployResult; byName: Map<string, TaskResult>; events: EngineEvent[]; seconds: number }

/**
 * Holds a one-host lab up for the suite (`setup` runs once it is up); `host()` gives it.
 * Port: guest 22 on 127.0.0.1:`port`.
 */
export function labSuite(test: Test, name: string, port: number, setup: (h: LabHost) => Promise<void> = async () => undefined, teardown: () => Promise<void> = async () => undefined) {
  const cluster = { nodes: [{ host_name: name, port_mappings: [{ guest_port: 22, host_port: port, host_ip: '127.0.0.1' }] }] };
  let host: LabHost | undefined;
  let clusterFile = '';
  let release: () => void = () => undefined;
  let lab: Promise<void> | undefined;
  beforeAll(test, 'lab up', () => new Promise<void>((ready, fail) => {
    const held = new Promise<void>((r) => { release = r; });
    lab = withLab(cluster, async (hosts, file) => {
      host = hosts[0]!;
      clusterFile = file;
      try { await setup(host); } catch (e) { fail(e); return; }
      ready();
      await held;
    });
    lab.catch(fail);
  }));
  test.after(async () => {
    release();
    await lab?.catch(() => undefined);
    await teardown();
  });
  return {
    host: () => host!,
    /** The cluster.json the lab was brought up from (an inventory for `shipshape -i`). */
    clusterFile: () => clusterFile,
    on: async (cmd: string) => { const r = await ssh(host!, cmd); return { ...r, out: r.stdout.trim() }; },
    target: (p: Project) => p.host(name, { address: host!.address, port: host!.port, user: host!.user, privateKey: host!.privateKey, become: true }),
  };
}

/** Deploys quietly; task results by task name. */
export async function deploy(p: Project, o: { check?: boolean; diff?: boolean } = {}): Promise<Run> {
  const events: EngineEvent[] = [];
  const t0 = performance.now();
  const argv = o.diff ? ['--diff'] : [];
  const result = await deployProject(p, { argv, keepExitCode: true, check: o.check ?? false, reporter: (e) => events.push(e) });
  const byName = new Map<string, TaskResult>();
  for (const e of events) if (e.type === 'task-end') byName.set(e.task.handler ? `handler ${e.task.name}` : e.task.name, e.result);
  return { result, byName, events, seconds: (performance.now() - t0) / 1000 };
}

export function why(r: Run): string {
  const bad = [...r.byName].filter(([, t]) => t.status === 'failed' || t.status === 'unreachable')
    .map(([n, t]) => `${n}: ${t.error?.explain?.() ?? t.error?.message ?? t.reason ?? ''}`);
  return [...bad, ...(r.result.problems ?? []).map((x) => x.message)].join('\n') || 'no failures';
}

/** Asserts every named task has `status`, naming the one that did not, and the host's changed count. */
export function expectAll(r: Run, host: string, names: string[], status: 'changed' | 'ok', when: string): void {
  assert.is(r.result.exitCode, 0, `${when}: ${why(r)}`);
  for (const n of names) {
    const t = r.byName.get(n);
    assert.ok(t, `${when}: ${n} did not run`);
    const detail = t.changes.map((c) => `${c.what}: ${String(c.before)} → ${String(c.after)}`).join('; ');
    assert.is(t.status, status, `${when}: ${n} was ${t.status}${detail ? ` (${detail})` : ''}${t.reason ? ` [${t.reason}]` : ''}`);
  }
  const changed = names.filter((n) => r.byName.get(n)!.status === 'changed').length;
  assert.is(r.result.hosts[host]?.changed, changed, `${when}: summary changed count`);
}
