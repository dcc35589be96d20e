import { randomBytes } from 'node:crypto';
import type { Probed } from '../ops/types.js';

/**
 * One script that runs many probes and prints each one's output between markers, so a host's
 * state is read in one round trip. Each probe runs in a subshell with stdin closed; its
 * stderr is dropped.
 *
 * @example
 * const b = batchScript([{ key: '0', script: 'stat -c %a /etc/motd' }]);
 * b.parse((await t.exec(b.script)).stdout).get('0')   // { stdout: '644\n', code: 0 }
 */
export function batchScript(probes: { key: string; script: string }[]): { script: string; parse(stdout: string): Map<string, Probed> } {
  const nonce = randomBytes(6).toString('hex');
  const begin = (k: string) => `::shipshape:${nonce}:begin:${k}::`;
  const endPrefix = (k: string) => `::shipshape:${nonce}:end:${k}::`;
  const script = probes.map(({ key, script: s }) =>
    `printf '%s\\n' '${begin(key)}'; ( ${s}\n) </dev/null 2>/dev/null; printf '\\n%s%s\\n' '${endPrefix(key)}' "$?"`,
  ).join('\n');
  return {
    script,
    parse(stdout: string) {
      const out = new Map<string, Probed>();
      for (const { key } of probes) {
        const b = stdout.indexOf(begin(key) + '\n');
        const e = stdout.indexOf('\n' + endPrefix(key), b);
        if (b < 0 || e < 0) continue;
        const body = stdout.slice(b + begin(key).length + 1, e);
        const codeText = stdout.slice(e + 1 + endPrefix(key).length).split('\n', 1)[0]!;
        out.set(key, { stdout: body, code: Number(codeText) });
      }
      return out;
    },
  };
}
