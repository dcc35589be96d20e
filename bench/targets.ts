// What the bench measures (one Measurement per timed run) and the targets of issue 11 it
// checks them against, each as PASS or MISS.

/** Who ran: shipshape, the two Ansible configurations on the idempotent playbook, the seed's playbook, a floor. */
export type Tool = 'shipshape' | 'ansible' | 'mitogen' | 'seed' | 'floor';
export type Scenario = 'first run' | 'no change' | 'one file changed';
export type PlanName = 'webapp' | 'light';

export interface Measurement {
  plan: PlanName;
  scenario: Scenario;
  hosts: number;
  tool: Tool;
  /** Whole-process wall time (the median when repeated). */
  seconds: number;
  /** Every run's wall time, in order. */
  runs: number[];
  /** User + system CPU of the process tree, seconds (of the median run). */
  cpu: number;
  /** Peak RSS of its largest process, MB. */
  rssMB: number;
  /** Changed tasks over all hosts (PLAY RECAP for Ansible, the --json report for shipshape). */
  changed: number;
  /** shipshape's engine time without start-up, imports and plan (summary.durationMs). */
  engineSeconds?: number;
  note?: string;
}

export interface TargetResult {
  what: string;
  hosts: number;
  /** The measured figure, as printed (`21.3x`, `1.04x`, `6.1 ms`). */
  got: string;
  wanted: string;
  pass: boolean;
}

type Find = (plan: PlanName, scenario: Scenario, hosts: number, tool: Tool) => Measurement | undefined;

const x = (v: number) => `${v.toFixed(v < 10 ? 2 : 1)}x`;

/** `peer / shipshape` must be at least `min` (shipshape `min` times faster). */
function faster(find: Find, scenario: Scenario, hosts: number, peer: Tool, min: number, out: TargetResult[]): void {
  const s = find('webapp', scenario, hosts, 'shipshape');
  const p = find('webapp', scenario, hosts, peer);
  if (!s || !p) return;
  const r = p.seconds / s.seconds;
  const name = peer === 'ansible' ? 'Ansible' : 'Ansible + Mitogen';
  out.push({ what: `${scenario}: ${name} / shipshape`, hosts, got: x(r), wanted: min === 1 ? '> 1x (ahead)' : `>= ${min}x`, pass: min === 1 ? r > 1 : r >= min });
}

/** `shipshape / floor` must be at most `max`. */
function nearFloor(find: Find, plan: PlanName, scenario: Scenario, hosts: number, max: number, out: TargetResult[]): void {
  const s = find(plan, scenario, hosts, 'shipshape');
  const f = find(plan, scenario, hosts, 'floor');
  if (!s || !f) return;
  const r = s.seconds / f.seconds;
  out.push({ what: `${plan === 'light' ? 'light plan ' : ''}${scenario}: shipshape / floor`, hosts, got: x(r), wanted: `<= ${max.toFixed(2)}x`, pass: r <= max });
}

const NO_CHANGE_VS_ANSIBLE: Record<number, number> = { 1: 15, 10: 30, 50: 50 };
const NO_CHANGE_VS_MITOGEN: Record<number, number> = { 1: 8, 10: 15 };

/**
 * Checks every target whose figures were measured (sizes not run are left out).
 *
 * @example
 * const results = checkTargets(measurements); results.every((t) => t.pass)
 */
export function checkTargets(ms: Measurement[]): TargetResult[] {
  const find: Find = (plan, scenario, hosts, tool) => ms.find((m) => m.plan === plan && m.scenario === scenario && m.hosts === hosts && m.tool === tool);
  const out: TargetResult[] = [];
  const webSizes = [...new Set(ms.filter((m) => m.plan === 'webapp').map((m) => m.hosts))].sort((a, b) => a - b);
  for (const n of webSizes) {
    if (NO_CHANGE_VS_ANSIBLE[n]) faster(find, 'no change', n, 'ansible', NO_CHANGE_VS_ANSIBLE[n]!, out);
    if (NO_CHANGE_VS_MITOGEN[n]) faster(find, 'no change', n, 'mitogen', NO_CHANGE_VS_MITOGEN[n]!, out);
    if (n === 1 || n === 10) {
      faster(find, 'one file changed', n, 'ansible', 5, out);
      faster(find, 'one file changed', n, 'mitogen', 3, out);
    }
    nearFloor(find, 'webapp', 'first run', n, 1.1, out);
    faster(find, 'first run', n, 'ansible', 1, out);
    faster(find, 'first run', n, 'mitogen', 1, out);
  }
  const n = 200;
  nearFloor(find, 'light', 'no change', n, 1.1, out);
  nearFloor(find, 'light', 'first run', n, 1.5, out);
  for (const scenario of ['first run', 'no change'] as const) {
    const s = find('light', scenario, n, 'shipshape');
    if (!s) continue;
    const msPerHost = (s.cpu / n) * 1000;
    out.push({ what: `light plan ${scenario}: controller CPU per host`, hosts: n, got: `${msPerHost.toFixed(1)} ms`, wanted: '<= 8 ms', pass: msPerHost <= 8 });
    out.push({ what: `light plan ${scenario}: peak RSS`, hosts: n, got: `${s.rssMB.toFixed(0)} MB`, wanted: '<= 150 MB', pass: s.rssMB <= 150 });
  }
  return out;
}
