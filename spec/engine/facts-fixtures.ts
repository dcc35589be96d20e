// Captured outputs of the facts probe's commands (spec/engine/fixtures/facts/<host>/<part>.txt):
// lab-debian12 from a lab host (Debian 12 under systemd-nspawn, after `ip route add default via
// 10.77.0.1`), controller from the machine running the lab (IPv6, a bridge, veths).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('./fixtures/facts/', import.meta.url));

/** The lines of a captured output, as the probe's section gives them (no trailing empty line). */
export function fixture(host: 'lab-debian12' | 'controller', part: string): string[] {
  const text = readFileSync(`${DIR}${host}/${part}.txt`, 'utf8');
  return text.replace(/\n$/, '').split('\n');
}

export function hasFixture(host: string, part: string): boolean {
  return existsSync(`${DIR}${host}/${part}.txt`);
}

/** What the probe prints: base `key=value` lines, then `@@group` and `@@group/part` markers with `|`-prefixed lines. */
export function probeOutput(base: Record<string, string>, groups: Record<string, Record<string, string[]>>): string {
  const out = Object.entries(base).map(([k, v]) => `${k}=${v}`);
  for (const [g, parts] of Object.entries(groups)) {
    out.push(`@@${g}`);
    for (const [p, lines] of Object.entries(parts)) out.push(`@@${g}/${p}`, ...lines.map((l) => `|${l}`));
  }
  return `${out.join('\n')}\n`;
}

/** Plain objects (the facts' records have no prototype), for deep comparison. */
export const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
