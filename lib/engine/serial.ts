import { ShipshapeError } from '../errors.js';

/** A batch size: a number of hosts, or a share of all hosts as `'25%'`. */
export type BatchSize = number | `${number}%`;

/**
 * How hosts are rolled out (`--serial`, `deploy({ serial })`): one size, or a list of sizes
 * whose last one repeats, as Ansible's `serial`.
 */
export type Serial = BatchSize | BatchSize[];

const SIZE = /^(\d+)(%?)$/;
const FIX = 'give a number of hosts (--serial 1), a share of them (--serial 25%) or a list whose last size repeats (--serial 1,5,25%)';

/**
 * Reads `--serial` (`1`, `25%`, `1,5,25%`) or the `serial` option; throws a ShipshapeError
 * naming the value for anything else (0, 0%, over 100%, words).
 *
 * @example
 * parseSerial('1,5,25%')   // [1, 5, '25%']
 */
export function parseSerial(value: Serial | string): BatchSize[] {
  const parts = Array.isArray(value) ? value : typeof value === 'number' ? [value] : value.split(',').map((s) => s.trim());
  if (!parts.length) throw new ShipshapeError('--serial names no batch size', { fix: FIX });
  return parts.map((p) => {
    const m = SIZE.exec(String(p));
    const n = m ? Number(m[1]) : NaN;
    if (!m || n < 1 || (m[2] && n > 100)) {
      throw new ShipshapeError(`--serial ${JSON.stringify(String(p))} is not a batch size${m && n < 1 ? ' (a batch needs at least one host)' : m ? ' (a share is at most 100%)' : ''}`, { fix: FIX });
    }
    return m[2] ? (`${n}%` as const) : n;
  });
}

/**
 * Reads `--max-fail-percent`: a whole or decimal number from 0 to 100.
 *
 * @example
 * parseMaxFailPercent('25')   // 25
 */
export function parseMaxFailPercent(value: number | string): number {
  const n = typeof value === 'number' ? value : /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 100) {
    throw new ShipshapeError(`--max-fail-percent ${JSON.stringify(String(value))} is not a percentage from 0 to 100`, { fix: 'for example --max-fail-percent 25: stop the remaining batches once more than 25% of a batch failed' });
  }
  return n;
}

/**
 * Splits hosts into batches, in their order: a share is of all hosts, rounded down but at
 * least one host (as Ansible); the last size repeats until every host has a batch.
 *
 * @example
 * batchesOf(['a', 'b', 'c', 'd', 'e', 'f'], [1, '50%'])   // [['a'], ['b', 'c', 'd'], ['e', 'f']]
 */
export function batchesOf<T>(hosts: readonly T[], sizes: readonly BatchSize[]): T[][] {
  const count = (s: BatchSize) => (typeof s === 'number' ? s : Math.max(1, Math.floor((Number(s.slice(0, -1)) / 100) * hosts.length)));
  const out: T[][] = [];
  for (let at = 0, i = 0; at < hosts.length; i++) {
    const n = count(sizes[Math.min(i, sizes.length - 1)]!);
    out.push(hosts.slice(at, at + n));
    at += n;
  }
  return out;
}

/**
 * Whether a batch that ended with `failed` of its `size` hosts failed (or unreachable) stops
 * the rollout: more than `maxFailPercent` of it, or, without that, every host of it (as
 * Ansible's serial).
 *
 * @example
 * stopsRollout(1, 4, 20)   // true: 25% > 20%
 */
export function stopsRollout(failed: number, size: number, maxFailPercent?: number): boolean {
  if (failed === 0) return false;
  if (maxFailPercent === undefined) return failed >= size;
  return (failed / size) * 100 > maxFailPercent;
}
