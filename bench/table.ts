// The bench's result table: one row per scenario and host count, the ratio as "12.3x".

export interface Row {
  scenario: string;
  hosts: number;
  /** Wall time in seconds. */
  ansible: number;
  shipshape: number;
  note?: string;
}

/**
 * Prints rows as an aligned text table (ratio = ansible / shipshape).
 *
 * @example
 * printTable([{ scenario: 'no change', hosts: 1, ansible: 9.1, shipshape: 0.4 }])
 */
export function printTable(rows: Row[]): void {
  const head = ['scenario', 'hosts', 'ansible s', 'shipshape s', 'ratio', 'notes'];
  const body = rows.map((r) => [
    r.scenario, String(r.hosts), r.ansible.toFixed(2), r.shipshape.toFixed(2), `${(r.ansible / r.shipshape).toFixed(1)}x`, r.note ?? '',
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const numeric = new Set([1, 2, 3, 4]);
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : numeric.has(i) ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join('  ').trimEnd();
  console.log(line(head));
  console.log(width.map((w, i) => '-'.repeat(i === head.length - 1 ? head[i]!.length : w)).join('  '));
  for (const b of body) console.log(line(b));
}
