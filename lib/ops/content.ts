/** Probing and diffing a remote file's content: shared by file, copy, template and line. */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ShipshapeError } from '../errors.js';
import { isSecret, reveal, type Secret } from '../secret.js';
import { quote } from '../transport/quote.js';
import { attrActions, attrChanges, type Attrs } from './attrs.js';
import { parseMode, parseStat, statProbe, type StatResult } from './common.js';
import { memoSum } from './probe-memo.js';
import type { Action, Change } from './types.js';

/** Files up to this size come back with the probe, so `--diff` needs no second round trip. */
export const INLINE_LIMIT = 64 * 1024;

/**
 * Probe printing: the stat line, then the sha256 (or `-`), then the content as base64 when
 * the file is a regular file no larger than `limit` (default {@link INLINE_LIMIT}; `line`
 * passes a larger one since it needs the whole file). With `wanted` (the sha256 the file
 * should have, never of a secret: the script shows in `ps`), a file that already has it
 * sends no content, and no `stat` for its size runs: what a no-change run pays per file.
 *
 * @example
 * probe: (a) => contentProbe(a.path, LINE_LIMIT)
 */
export function contentProbe(path: string, limit = INLINE_LIMIT, wanted?: string): string {
  const p = quote(path);
  const body = `if [ "$(stat -c %s ${p})" -le ${limit} ]; then base64 -w0 < ${p}; fi`;
  // The sha256 comes from the batch's prelude when it read this file (see probe-memo.ts).
  if (wanted !== undefined && /^[0-9a-f]{64}$/.test(wanted)) {
    return `${statProbe(path)}; if [ -f ${p} ] && [ ! -L ${p} ]; then ${memoSum(path)}; printf '%s\\n' "$ss_h"; ` +
      `if [ "$ss_h" != '${wanted}  -' ]; then ${body}; fi; echo; else echo -; fi`;
  }
  return `${statProbe(path)}; if [ -f ${p} ] && [ ! -L ${p} ]; then ${memoSum(path)}; printf '%s\\n' "$ss_h"; ${body}; echo; else echo -; fi`;
}

export interface ContentState {
  stat: StatResult;
  sha256?: string;
  /** The current content, when small enough to come with the probe. */
  content?: Buffer;
}

/**
 * Parses {@link contentProbe} output; `content` is left out when the file was too large to
 * come with the probe.
 *
 * @example
 * parseContentProbe('file 644 root root 0 0\n<sha256>\naGkK\n').content   // Buffer 'hi\n'
 */
export function parseContentProbe(stdout: string): ContentState {
  const [statLine = '', sha = '-', b64 = ''] = stdout.split('\n');
  const stat = parseStat(statLine);
  if (sha === '-' || stat.type !== 'file') return { stat };
  // sha256sum prints `<sum>  -` for its stdin (older probes printed the sum alone).
  const sum = sha.trim().split(' ')[0] ?? '';
  return { stat, sha256: sum, content: b64.trim() === '' && sum !== EMPTY_SHA ? undefined : Buffer.from(b64.trim(), 'base64') };
}

const EMPTY_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * Hex sha256 of some content: how wanted and probed files are compared without moving them.
 *
 * @example
 * sha256('hi\n')   // '98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4'
 */
export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The sha256 of a local regular file up to {@link INLINE_LIMIT} bytes, cheap enough to send
 * with a probe as the wanted checksum; undefined for anything else or what cannot be read.
 *
 * @example
 * smallFileSha('/srv/deploy/files/app.py')   // '5b0c…' (64 hex digits)
 */
export function smallFileSha(local: string): string | undefined {
  try {
    const st = statSync(local);
    return st.isFile() && st.size <= INLINE_LIMIT ? sha256(readFileSync(local)) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Wanted content as bytes; a secret is revealed only here, at the point of upload.
 *
 * @example
 * toBuffer(secret('hunter2\n'))   // Buffer 'hunter2\n'
 */
export function toBuffer(data: string | Buffer | Secret): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Buffer.from(isSecret(data) ? reveal(data) : data, 'utf8');
}

/**
 * Text worth showing in a diff: no NUL byte and valid UTF-8.
 *
 * @example
 * isText(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0]))   // false
 */
export function isText(data: Buffer): boolean {
  return !data.includes(0) && Buffer.from(data.toString('utf8'), 'utf8').equals(data);
}

/**
 * The `content` change for a file whose wanted content differs from the probed one
 * (undefined when the sha256 matches), with before/after text for `--diff`.
 *
 * @example
 * contentChange('/etc/motd', Buffer.from('hello\n'), parseContentProbe('absent\n-\n'))
 * // { what: 'content', before: 'absent', after: 'sha256:5891b5b522d5', content: { path: '/etc/motd', before: '', after: 'hello\n', secret: false } }
 */
export function contentChange(path: string, want: Buffer, state: ContentState, secret = false): Change | undefined {
  if (state.sha256 === sha256(want)) return undefined;
  const before = state.stat.type === 'absent' ? '' : state.content === undefined ? undefined : shown(state.content);
  return {
    what: 'content',
    before: state.sha256 ? `sha256:${state.sha256.slice(0, 12)}` : state.stat.type,
    after: `sha256:${sha256(want).slice(0, 12)}`,
    content: {
      path,
      before: before ?? `(current content not shown: ${state.sha256 ? `sha256:${state.sha256.slice(0, 12)}` : 'not fetched'})\n`,
      after: shown(want),
      secret,
    },
  };
}

/** Binary content is summarised: a line diff of it would be noise. */
function shown(data: Buffer): string {
  return isText(data) ? data.toString('utf8') : `(binary content: ${data.length} bytes, sha256:${sha256(data).slice(0, 12)})\n`;
}

/** What a content-managing op (copy, template, line) hands from diff to apply. */
export interface PutData {
  path: string;
  content: Buffer;
  state: ContentState;
}

/**
 * Changes for a file that should hold `want` with the given attributes: `content` (with a
 * before/after for `--diff`) and, for an existing file, owner/group/mode. Throws when the
 * path is something other than a file.
 *
 * @example
 * const changes = fileChanges(a.dest, rendered, parseContentProbe(probed.stdout), a, ctx.host)
 */
export function fileChanges(path: string, want: Buffer, state: ContentState, attrs: Attrs, host: string, secret = false): Change[] {
  const cur = state.stat.type;
  if (cur !== 'absent' && cur !== 'file') {
    throw new ShipshapeError(`${path} exists as a ${cur}, not a file`, { host, fix: `remove it first (file with state: 'absent') or choose another path` });
  }
  const changes: Change[] = [];
  const c = contentChange(path, want, state, secret);
  if (c) changes.push(c);
  if (cur !== 'absent') changes.push(...attrChanges(attrs, state.stat));
  return changes;
}

/**
 * The actions for {@link fileChanges}: one atomic `put` when the content differs (it also sets
 * mode and owner: the wanted ones, else the current ones, else `defaultMode`), otherwise
 * chown/chmod.
 *
 * @example
 * apply: (a, diff) => fileActions(diff.data as PutData, a, diff.changes)
 */
export function fileActions(data: PutData, attrs: Attrs, changes: Change[], defaultMode = 0o644): Action[] {
  if (!changes.some((c) => c.what === 'content')) return attrActions(data.path, attrs, changes);
  const st = data.state.stat;
  return [{
    kind: 'put', path: data.path, data: data.content,
    mode: parseMode(attrs.mode) ?? st.mode ?? defaultMode,
    // Keep the current owner by id: a uid without a name would make chown fail.
    owner: attrs.owner ?? idOr(st.uid, st.owner), group: attrs.group ?? idOr(st.gid, st.group),
  }];
}

function idOr(id: number | undefined, name: string | undefined): string | undefined {
  return id !== undefined ? String(id) : name;
}
