// The bench's scenarios on the first n lab hosts. Every tool starts from the same clean base
// (the hosts are reset before each tool's first run) and is checked: the site must serve
// after a first run, a no-change run must report 0 changed, a one-file change must be served.
import { writeFileSync } from 'node:fs';
import { labReset, type LabHost } from '../lib/lab/index.js';
import { AnsibleRunner, type AnsibleResult, type Playbook, type Strategy } from './ansible-run.js';
import { firstHosts, sizeGroup } from './cluster.js';
import { firstRunScript, floor } from './floor.js';
import { median, type Timed } from './measure.js';
import type { ShipshapeProject, ShipshapeResult } from './shipshape-run.js';
import type { Measurement, PlanName, Scenario, TargetResult, Tool } from './targets.js';
import { expectPage, pageIs } from './web.js';

export const HELLO = 'Hello, World!\n';
export const CHANGED = 'Hello, bench!\n';

export interface Bench {
  clusterFile: string;
  tmp: string;
  project: ShipshapeProject;
  ansible: AnsibleRunner;
  /** No-change runs per tool and size; the median is reported. */
  repeats: number;
  seedApp: string;
  changedApp: string;
  /** Sizes that also get the one-file change. */
  oneFileSizes: number[];
  /** Sizes that also get the seed's playbook as written. */
  seedSizes: number[];
  measurements: Measurement[];
  /** "No change reports 0 changed", one per tool and size. */
  checks: TargetResult[];
  log: (line: string) => void;
}

type Run = Timed & { changed: number; engineSeconds?: number };

const ANSIBLE: Record<'ansible' | 'mitogen' | 'seed', { playbook: Playbook; strategy: Strategy }> = {
  ansible: { playbook: 'idempotent', strategy: 'ssh' },
  mitogen: { playbook: 'idempotent', strategy: 'mitogen' },
  seed: { playbook: 'seed', strategy: 'ssh' },
};

async function reset(b: Bench, names: string[]): Promise<LabHost[]> {
  const t0 = Date.now();
  const all = await labReset(b.clusterFile, { hosts: names });
  b.log(`reset ${names.length} host(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return names.map((n) => all.find((h) => h.name === n)!);
}

function record(b: Bench, plan: PlanName, scenario: Scenario, hosts: number, tool: Tool, runs: Run[], note?: string): Run {
  const mid = runs.find((r) => r.seconds === median(runs.map((x) => x.seconds)))!;
  b.measurements.push({
    plan, scenario, hosts, tool, seconds: mid.seconds, runs: runs.map((r) => r.seconds), cpu: mid.cpu, rssMB: mid.rssMB,
    changed: mid.changed, ...(mid.engineSeconds === undefined ? {} : { engineSeconds: mid.engineSeconds }), ...(note ? { note } : {}),
  });
  b.log(`${tool} ${plan} ${scenario} on ${hosts}: ${runs.map((r) => r.seconds.toFixed(2)).join(', ')} s, changed ${runs.map((r) => r.changed).join(', ')}, CPU ${mid.cpu.toFixed(2)} s, RSS ${mid.rssMB.toFixed(0)} MB`);
  return mid;
}

/** Records "no change reports 0 changed" for a tool; a miss fails the bench. */
function checkNoChange(b: Bench, plan: PlanName, hosts: number, tool: Tool, runs: Run[], detail = ''): void {
  const bad = runs.map((r) => r.changed).filter((c) => c !== 0);
  b.checks.push({ what: `${plan === 'light' ? 'light plan ' : ''}no change: ${tool} reports 0 changed`, hosts, got: runs.map((r) => r.changed).join(', '), wanted: '0', pass: bad.length === 0 });
  if (bad.length) b.log(`MISS: ${tool}'s no-change runs on ${hosts} reported changes ${detail}`);
}

async function shipshape(b: Bench, plan: 'webapp' | 'light', n: number): Promise<ShipshapeResult> {
  const r = await b.project.run(plan, sizeGroup(n), n);
  if (r.failures) throw new Error(`shipshape ${plan} on ${n} host(s) failed:\n${r.failures}`);
  return r;
}

async function ansible(b: Bench, tool: 'ansible' | 'mitogen' | 'seed', hosts: LabHost[]): Promise<AnsibleResult> {
  const { playbook, strategy } = ANSIBLE[tool];
  const r = await b.ansible.run(hosts, playbook, strategy);
  if (r.code !== 0) throw new Error(`${tool} (${playbook} playbook, ${strategy}) on ${hosts.length} host(s) failed (exit ${r.code}):\n${r.out.slice(-4000)}`);
  return r;
}

async function repeat<R extends Run>(b: Bench, times: number, run: () => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < times; i++) out.push(await run());
  return out;
}

/**
 * The webapp on the first `n` hosts: the first-run floor, then shipshape, Ansible and Ansible +
 * Mitogen on the idempotent playbook, and the seed's playbook as written, each from clean hosts.
 *
 * @example
 * await webappSize(bench, 10)
 */
export async function webappSize(b: Bench, n: number): Promise<void> {
  const names = firstHosts(n);
  b.log(`--- webapp, ${n} host(s): the first-run floor (one ssh … sudo -n sh -s script per host)`);
  let hosts = await reset(b, names);
  const f = await floor(b.tmp, hosts, 'sudo -n sh -s', firstRunScript());
  await expectPage(hosts, HELLO, 'after the first-run floor');
  record(b, 'webapp', 'first run', n, 'floor', [{ ...f, changed: 0 }]);

  b.log(`--- webapp, ${n} host(s): shipshape (npx tsx webapp.ts)`);
  hosts = await reset(b, names);
  record(b, 'webapp', 'first run', n, 'shipshape', [await shipshape(b, 'webapp', n)]);
  await expectPage(hosts, HELLO, 'after shipshape\'s first run');
  const none = await repeat(b, b.repeats, () => shipshape(b, 'webapp', n));
  record(b, 'webapp', 'no change', n, 'shipshape', none);
  checkNoChange(b, 'webapp', n, 'shipshape', none);
  if (b.oneFileSizes.includes(n)) {
    b.project.setApp(b.changedApp);
    record(b, 'webapp', 'one file changed', n, 'shipshape', [await shipshape(b, 'webapp', n)]);
    b.project.setApp(b.seedApp);
    await expectPage(hosts, CHANGED, 'after shipshape\'s one-file change');
  }

  for (const tool of ['ansible', 'mitogen', 'seed'] as const) {
    if (tool === 'seed' && !b.seedSizes.includes(n)) continue;
    const { playbook, strategy } = ANSIBLE[tool];
    b.log(`--- webapp, ${n} host(s): ${tool} (${playbook} playbook, ${strategy === 'mitogen' ? 'strategy mitogen_linear' : 'linear over OpenSSH'})`);
    hosts = await reset(b, names);
    record(b, 'webapp', 'first run', n, tool, [await ansible(b, tool, hosts)]);
    await expectPage(hosts, HELLO, `after ${tool}'s first run`);
    // On 50 hosts one peer run takes minutes: once, not a median.
    const runs = await repeat(b, n >= 50 ? 1 : b.repeats, () => ansible(b, tool, hosts));
    const changedTasks = [...new Set(runs.flatMap((r) => r.changedTasks))].join('; ');
    record(b, 'webapp', 'no change', n, tool, runs, changedTasks ? `changed: ${changedTasks}` : undefined);
    // The seed's playbook is not idempotent, as written: that is what its row shows.
    if (tool !== 'seed') checkNoChange(b, 'webapp', n, tool, runs, `(${changedTasks})`);
    if (b.oneFileSizes.includes(n)) {
      writeFileSync(b.ansible.appFile(playbook), b.changedApp);
      const one = await ansible(b, tool, hosts);
      writeFileSync(b.ansible.appFile(playbook), b.seedApp);
      // The seed's playbook has no handler restarting gunicorn: the new code is not served.
      const served = await pageIs(hosts, CHANGED);
      if (!served && tool !== 'seed') throw new Error(`${tool}'s one-file change: the new app.py is not served`);
      record(b, 'webapp', 'one file changed', n, tool, [one], served ? undefined : 'new code not served (no restart)');
    }
  }
}

/**
 * The light plan (a folder, 8 files and a template per host) on the first `n` hosts against
 * the many-hosts floor: `ssh host sudo -n true` to every host at once.
 *
 * @example
 * await lightSize(bench, 200)
 */
export async function lightSize(b: Bench, n: number): Promise<void> {
  const names = firstHosts(n);
  b.log(`--- light plan, ${n} host(s)`);
  const hosts = await reset(b, names);
  const floors = await repeat(b, b.repeats, async () => ({ ...(await floor(b.tmp, hosts, 'sudo -n true')), changed: 0 }));
  record(b, 'light', 'first run', n, 'floor', floors);
  record(b, 'light', 'no change', n, 'floor', floors);
  const first = await shipshape(b, 'light', n);
  if (first.changed !== n * 10) throw new Error(`shipshape's light plan on ${n} hosts changed ${first.changed} tasks, expected ${n * 10} (10 per host)`);
  record(b, 'light', 'first run', n, 'shipshape', [first]);
  const none = await repeat(b, b.repeats, () => shipshape(b, 'light', n));
  record(b, 'light', 'no change', n, 'shipshape', none);
  checkNoChange(b, 'light', n, 'shipshape', none);
}
