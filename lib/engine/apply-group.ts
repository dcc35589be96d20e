import { randomBytes } from 'node:crypto';
import { isSecret, reveal } from '../secret.js';
import { putHeredocScript } from '../transport/put-script.js';
import type { Action } from '../ops/types.js';

/** Uploads larger than this go on their own (checked, streamed), not inside a grouped script. */
export const GROUP_PUT_LIMIT = 1024 * 1024;
/** At most this much content in one grouped script. */
export const GROUP_BYTES_LIMIT = 4 * 1024 * 1024;

/**
 * Whether these actions can run inside a grouped script: uploads of moderate size and plain
 * commands (no stdin, no other exit codes that count as success, no timeout, no deferred
 * commands). Anything else runs as it always does, one action at a time.
 *
 * @example
 * groupableActions([{ kind: 'put', path: '/etc/motd', data: 'hi\n' }])   // true
 */
export function groupableActions(actions: readonly Action[]): boolean {
  return actions.length > 0 && actions.every((a) => {
    if (a.kind === 'put') return sizeOf(a.data) <= GROUP_PUT_LIMIT;
    if (a.kind !== 'exec') return false;
    return a.stdin === undefined && a.timeoutMs === undefined && !a.after?.length && a.settles === undefined
      && (a.okCodes === undefined || (a.okCodes.length === 1 && a.okCodes[0] === 0));
  });
}

/** The size of what an upload writes, without copying it. */
export function sizeOf(data: Extract<Action, { kind: 'put' }>['data']): number {
  const d = isSecret(data) ? reveal(data) : data;
  return typeof d === 'string' ? Buffer.byteLength(d) : d.length;
}

/** The bytes an upload writes. */
export function contentOf(data: Extract<Action, { kind: 'put' }>['data']): Buffer {
  return Buffer.from(isSecret(data) ? reveal(data) : data);
}

export interface GroupScript {
  /** Sent as the stdin of `sh -s`: it holds file contents, so never on a command line. */
  script: string;
  /** The exit code of each member that ran, in order; a member after a failure did not run. */
  parse(stdout: string): (number | undefined)[];
}

/**
 * One script that applies the actions of several tasks in order, each task in a subshell
 * with stdin from /dev/null (the script itself is on stdin). After each task a marker with a
 * per-script nonce gives its exit code; the first failure ends the script, so later tasks
 * do not run. Uploads are {@link putHeredocScript}: atomic, size and sha256 checked.
 *
 * @example
 * const g = groupScript([[{ kind: 'put', path: '/srv/a', data: 'a\n' }], [{ kind: 'exec', command: 'mkdir -p /srv/b' }]]);
 * g.parse((await t.exec('sh -s', { stdin: g.script })).stdout)   // [0, 0]
 */
export function groupScript(members: readonly (readonly Action[])[]): GroupScript {
  const nonce = randomBytes(6).toString('hex');
  const delimiter = `SHIPSHAPE_EOF_${nonce}`;
  const marker = (i: number) => `::shipshape:${nonce}:task:${i}:`;
  const parts = members.map((actions, i) => {
    const steps = actions.map((a) => {
      if (a.kind === 'put') return `(\n${putHeredocScript(a.path, contentOf(a.data), { mode: a.mode, owner: a.owner, group: a.group }, delimiter)}\n) || exit $?`;
      if (a.kind === 'exec') return `(\n${a.command}\n) || exit $?`;
      throw new Error(`a ${a.kind} action cannot run in a grouped script`);
    });
    return `(\n${steps.join('\n')}\n) </dev/null\nrc=$?; printf '\\n%s%s::\\n' '${marker(i)}' "$rc"; [ "$rc" -eq 0 ] || exit 0`;
  });
  return {
    script: `${parts.join('\n')}\nexit 0\n`,
    parse(stdout: string) {
      const codes = new Map<number, number>();
      for (const line of stdout.split('\n')) {
        const m = line.startsWith(`::shipshape:${nonce}:task:`) ? /^::shipshape:[0-9a-f]+:task:(\d+):(\d+)::$/.exec(line) : null;
        if (m && !codes.has(Number(m[1]))) codes.set(Number(m[1]), Number(m[2]));
      }
      const out: (number | undefined)[] = [];
      for (let i = 0; i < members.length; i++) {
        const c = codes.get(i);
        out.push(c);
        if (c === undefined || c !== 0) break;
      }
      while (out.length < members.length) out.push(undefined);
      return out;
    },
  };
}
