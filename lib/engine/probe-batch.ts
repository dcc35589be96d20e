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

/**
 * Sets `ss_l` to the byte length of `$1`: bash and other locale-aware shells count characters
 * unless LC_ALL is C, so it is C for that one expansion (dash counts bytes anyway). Builtins
 * only: no process.
 */
const BYTE_LENGTH = 'ss_len() { if [ -n "${LC_ALL+x}" ]; then ss_o=$LC_ALL; LC_ALL=C; ss_l=${#1}; LC_ALL=$ss_o; else LC_ALL=C; ss_l=${#1}; unset LC_ALL; fi; }';

/**
 * One script that runs many probes, so a host's state is read in one round trip. Each probe
 * runs in a command substitution (a subshell) with stdin closed and stderr dropped; what it
 * prints, followed by a newline and its exit code (an exit trap prints it, so a probe may
 * `exit`; one that sets its own exit trap gets no result), is printed after a begin marker that gives
 * its length in bytes, then an end marker. The parser takes exactly that many bytes, so no
 * output (a file's content, a link target, text that repeats the markers with the nonce seen
 * in `ps`) can pose as a marker or as another probe's output, and a probe costs the host one
 * fork, not a pipeline through base64. Output a shell cannot hold in a variable (NUL bytes)
 * is dropped by the shell; a length that does not match (a shell counting characters, output
 * that is not UTF-8) ends the parse there: the probes after it have no result and probe on
 * their own. Probes that would take the script past {@link BATCH_SCRIPT_LIMIT} are left out:
 * `parse` has no result for them. A `prelude` runs first, in the batch's own shell.
 *
 * @example
 * const b = batchScript([{ key: '0', script: 'stat -c %a /etc/motd' }]);
 * b.parse((await t.exec(b.script)).stdout).get('0')   // { stdout: '644\n', code: 0 }
 */
export function batchScript(probes: { key: string; script: string }[], limit = BATCH_SCRIPT_LIMIT, prelude = ''): { script: string; parse(stdout: string): Map<string, Probed> } {
  const nonce = randomBytes(6).toString('hex');
  const begin = (k: string) => `::shipshape:${nonce}:begin:${k}::`;
  const end = (k: string) => `::shipshape:${nonce}:end:${k}::`;
  // The prelude (probe-memo.ts) runs in the batch's own shell, before the probes, which read its variables.
  const parts: string[] = prelude ? [BYTE_LENGTH, prelude] : [BYTE_LENGTH];
  const included: string[] = [];
  let size = parts.reduce((n, p) => n + quotedSize(p) + 1, 0);
  for (const { key, script: s } of probes) {
    // Keys are ours (task indexes, 'facts'): never quoted, so they must stay plain.
    if (!/^[A-Za-z0-9_-]+$/.test(key)) throw new Error(`probe key ${JSON.stringify(key)} must be letters, digits, _ or -`);
    // The exit trap prints the code also when the probe calls exit; the trailing '.' keeps the
    // output's own trailing newlines through $( ).
    const part = `ss_v=$( trap 'printf "\\n%s." "$?"' 0; { ${s}\n} 2>/dev/null </dev/null ); ss_v=\${ss_v%.}; ss_len "$ss_v"; printf '%s %s\\n%s\\n%s\\n' '${begin(key)}' "$ss_l" "$ss_v" '${end(key)}'`;
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
      const bytes = Buffer.from(stdout, 'utf8');
      let from = 0;
      for (const key of included) {
        const head = Buffer.from(`${begin(key)} `);
        const b = bytes.indexOf(head, from);
        if (b < 0) break;
        const nl = bytes.indexOf(0x0a, b + head.length);
        const len = nl < 0 ? '' : bytes.subarray(b + head.length, nl).toString('latin1');
        if (!/^\d{1,9}$/.test(len)) break;
        const bodyStart = nl + 1;
        const bodyEnd = bodyStart + Number(len);
        const tail = Buffer.from(`\n${end(key)}\n`);
        if (bodyEnd + tail.length > bytes.length || !bytes.subarray(bodyEnd, bodyEnd + tail.length).equals(tail)) break;
        from = bodyEnd + tail.length;
        const text = bytes.subarray(bodyStart, bodyEnd).toString('utf8');
        // The probe's output, then the newline and exit code the wrapper printed after it.
        const i = text.lastIndexOf('\n');
        const code = text.slice(i + 1);
        if (i < 0 || !/^\d+$/.test(code)) continue;
        out.set(key, { stdout: text.slice(0, i), code: Number(code) });
      }
      return out;
    },
  };
}
