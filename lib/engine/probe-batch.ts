import { randomBytes } from 'node:crypto';
import type { Probed } from '../ops/types.js';

/**
 * Probes past this many bytes of script, counted as quoted once more (become wraps it in
 * `sudo sh -c '…'`), are left out of the batch and probe on their own: one `sh -c` argument
 * may hold at most 128 KiB on Linux.
 */
export const BATCH_SCRIPT_LIMIT = 96 * 1024;

/** Bytes of `s` once single-quoted for sh: each `'` becomes `'\''`. */
const quotedSize = (s: string) => Buffer.byteLength(s) + 2 + 3 * (s.split("'").length - 1);

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * One script that runs many probes, so a host's state is read in one round trip. Each probe
 * runs in a subshell with stdin closed and stderr dropped; what it prints, followed by a
 * newline and its exit code, goes through `base64 -w0` between two markers. So no output (a
 * file's content, a link target, text that repeats the markers with the nonce seen in `ps`)
 * can pose as a marker or as another probe's output. Markers are read in order, each begin
 * marker after the previous end. Probes that would take the script past
 * {@link BATCH_SCRIPT_LIMIT} are left out: `parse` has no result for them.
 *
 * @example
 * const b = batchScript([{ key: '0', script: 'stat -c %a /etc/motd' }]);
 * b.parse((await t.exec(b.script)).stdout).get('0')   // { stdout: '644\n', code: 0 }
 */
export function batchScript(probes: { key: string; script: string }[], limit = BATCH_SCRIPT_LIMIT): { script: string; parse(stdout: string): Map<string, Probed> } {
  const nonce = randomBytes(6).toString('hex');
  const begin = (k: string) => `::shipshape:${nonce}:begin:${k}::`;
  const end = (k: string) => `::shipshape:${nonce}:end:${k}::`;
  const parts: string[] = [];
  const included: string[] = [];
  let size = 0;
  for (const { key, script: s } of probes) {
    // Keys are ours (task indexes, 'facts'): never quoted, so they must stay plain.
    if (!/^[A-Za-z0-9_-]+$/.test(key)) throw new Error(`probe key ${JSON.stringify(key)} must be letters, digits, _ or -`);
    const part = `printf '%s\\n' '${begin(key)}'; ( ( ${s}\n) 2>/dev/null; printf '\\n%s' "$?" ) </dev/null | base64 -w0; printf '\\n%s\\n' '${end(key)}'`;
    const partSize = quotedSize(part) + 1;
    if (size + partSize > limit && included.length > 0) continue;
    parts.push(part);
    included.push(key);
    size += partSize;
  }
  return {
    script: parts.join('\n'),
    parse(stdout: string) {
      const out = new Map<string, Probed>();
      let from = 0;
      for (const key of included) {
        const b = stdout.indexOf(`${begin(key)}\n`, from);
        if (b < 0) continue;
        const bodyStart = b + begin(key).length + 1;
        const e = stdout.indexOf(`\n${end(key)}\n`, bodyStart);
        if (e < 0) continue;
        from = e + end(key).length + 2;
        const body = stdout.slice(bodyStart, e);
        if (!BASE64.test(body)) continue;
        const text = Buffer.from(body, 'base64').toString('utf8');
        // The probe's output, then the newline and exit code the wrapper printed after it.
        const nl = text.lastIndexOf('\n');
        const code = text.slice(nl + 1);
        if (nl < 0 || !/^\d+$/.test(code)) continue;
        out.set(key, { stdout: text.slice(0, nl), code: Number(code) });
      }
      return out;
    },
  };
}
