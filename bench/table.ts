// The bench's tables: the figures (one row per plan, scenario and host count) and the targets
// (measured ratio next to the target, PASS or MISS). bench/README.md says what each column means.
import type { Measurement, PlanName, Scenario, TargetResult, Tool } from './targets.js';

/** Aligned text: numbers right-aligned, text left-aligned, the last column unpadded. */
export function formatTable(head: string[], body: string[][], right: Set<number>): string {
  const width = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : right.has(i) ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join('  ').trimEnd();
  return [line(head), width.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const s = (m?: Measurement) => (m ? m.seconds.toFixed(2) : '-');
const ratio = (a?: Measurement, b?: Measurement) => (a && b ? `${(a.seconds / b.seconds).toFixed(1)}x` : '-');
const changed = (m?: Measurement) => (m ? String(m.changed) : '-');

/**
 * The figures: whole-process seconds of each tool, shipshape's engine-only time, CPU per host
 * and peak RSS, the ratios, and how many tasks each tool reported changed.
 *
 * @example
 * console.log(figuresTable(measurements))
 */
export function figuresTable(ms: Measurement[]): string {
  const keys: { plan: PlanName; scenario: Scenario; hosts: number }[] = [];
  for (const m of ms) {
    if (!keys.some((k) => k.plan === m.plan && k.scenario === m.scenario && k.hosts === m.hosts)) keys.push({ plan: m.plan, scenario: m.scenario, hosts: m.hosts });
  }
  const head = ['plan', 'scenario', 'hosts', 'shipshape s', 'engine s', 'CPU ms/host', 'RSS MB', 'floor s', 'Ansible s', 'Mitogen s', 'seed s',
    'Ansible/ss', 'Mitogen/ss', 'ss/floor', 'changed ss/Ansible/Mitogen/seed'];
  const body = keys.map((k) => {
    const get = (tool: Tool) => ms.find((m) => m.plan === k.plan && m.scenario === k.scenario && m.hosts === k.hosts && m.tool === tool);
    const ss = get('shipshape');
    return [
      k.plan, k.scenario, String(k.hosts), s(ss), ss?.engineSeconds === undefined ? '-' : ss.engineSeconds.toFixed(2),
      ss ? ((ss.cpu / k.hosts) * 1000).toFixed(0) : '-', ss ? ss.rssMB.toFixed(0) : '-',
      s(get('floor')), s(get('ansible')), s(get('mitogen')), s(get('seed')),
      ratio(get('ansible'), ss), ratio(get('mitogen'), ss), ratio(ss, get('floor')),
      [ss, get('ansible'), get('mitogen'), get('seed')].map(changed).join('/'),
    ];
  });
  return formatTable(head, body, new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]));
}

/**
 * The targets: what, hosts, the measured figure, the target, PASS or MISS.
 *
 * @example
 * console.log(targetsTable(checkTargets(measurements)))
 */
export function targetsTable(ts: TargetResult[]): string {
  return formatTable(['target', 'hosts', 'measured', 'wanted', 'result'],
    ts.map((t) => [t.what, String(t.hosts), t.got, t.wanted, t.pass ? 'PASS' : 'MISS']), new Set([1, 2]));
}
