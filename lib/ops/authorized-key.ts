import { quote } from '../transport/quote.js';
import { ShipshapeError } from '../errors.js';
import { isValidName, modeString, oneOfProblem, parseStat, section, splitSections, trimSlashes } from './common.js';
import { contentChange, sha256, type ContentState } from './content.js';
import { parsePasswd } from './user.js';
import type { Action, Change, OpSpec } from './types.js';

export interface AuthorizedKeyArgs {
  /** Whose `~/.ssh/authorized_keys` (the home is the one `getent passwd` gives on the host). */
  user: string;
  /**
   * One public key line, `[options] type base64 [comment]`: `ssh-ed25519 AAAA... alice@laptop`, or
   * with options, `restrict,from="10.0.0.0/8" ssh-ed25519 AAAA...`. Types: ssh-ed25519, ssh-rsa,
   * ecdsa-sha2-nistp256/384/521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com.
   */
  key: string;
  /**
   * `present` (default): a line with the same type and base64 is kept, and rewritten when its
   * options differ, or its comment differs from a comment given here; else the line is added at
   * the end. `absent`: every line with that type and base64 is removed.
   */
  state?: 'present' | 'absent';
  /** With present: remove every other key line too (comments and blank lines stay). */
  exclusive?: boolean;
}

const KEY_TYPES = [
  'ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com',
];

/** A key line's parts; `options` and `comment` are '' when it has none. */
export interface KeyLine { options: string; type: string; body: string; comment: string }

/**
 * The options prefix of an authorized_keys line: up to the first blank outside double quotes
 * (a backslash escapes a quote inside them), as sshd reads it.
 */
function splitOptions(line: string): [string, string] | undefined {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted && c === '\\' && line[i + 1] === '"') { i++; continue; }
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ' ' || c === '\t')) return [line.slice(0, i), line.slice(i).replace(/^[ \t]+/, '')];
  }
  return undefined;
}

/**
 * Parses one authorized_keys line (undefined for a blank line, a comment, or a line sshd would
 * not take as a key of a known type).
 *
 * @example
 * parseKeyLine('from="10.0.0.1" ssh-ed25519 AAAAC3Nz... alice@laptop')
 * // { options: 'from="10.0.0.1"', type: 'ssh-ed25519', body: 'AAAAC3Nz...', comment: 'alice@laptop' }
 */
export function parseKeyLine(text: string): KeyLine | undefined {
  const line = text.replace(/\r$/, '').trim();
  if (line === '' || line.startsWith('#')) return undefined;
  let options = '';
  let rest = line;
  if (!KEY_TYPES.includes(line.split(/[ \t]/)[0]!)) {
    const split = splitOptions(line);
    if (!split) return undefined;
    [options, rest] = split;
  }
  const m = /^(\S+)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(rest);
  if (!m || !KEY_TYPES.includes(m[1]!)) return undefined;
  return { options, type: m[1]!, body: m[2]!, comment: (m[3] ?? '').trim() };
}

/** How many length-prefixed strings a key blob of each type holds, its type name first. */
const BLOB_PARTS: Record<string, number> = {
  'ssh-ed25519': 2, 'ssh-rsa': 3, 'ecdsa-sha2-nistp256': 3, 'ecdsa-sha2-nistp384': 3, 'ecdsa-sha2-nistp521': 3,
  'sk-ssh-ed25519@openssh.com': 3, 'sk-ecdsa-sha2-nistp256@openssh.com': 4,
};

/**
 * The type name a key blob holds, when the blob is whole: base64 of length-prefixed strings
 * that end where it ends, as many as its type has. A key cut short or pasted twice is not.
 */
function blobType(body: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) return undefined;
  const blob = Buffer.from(body, 'base64');
  const parts: Buffer[] = [];
  for (let at = 0; at < blob.length;) {
    if (at + 4 > blob.length) return undefined;
    const n = blob.readUInt32BE(at);
    if (at + 4 + n > blob.length) return undefined;
    parts.push(blob.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  const type = parts[0]?.toString('latin1');
  return type !== undefined && BLOB_PARTS[type] === parts.length ? type : undefined;
}

const render = (k: KeyLine) => [k.options, k.type, k.body, k.comment].filter((x) => x !== '').join(' ');

/**
 * The new authorized_keys text with `a.key` present (or absent), other lines byte for byte as
 * they were; undefined when nothing changes.
 *
 * @example
 * editKeys('', { user: 'alice', key: 'ssh-ed25519 AAAA... alice@laptop' })   // 'ssh-ed25519 AAAA... alice@laptop\n'
 */
export function editKeys(text: string, a: AuthorizedKeyArgs): string | undefined {
  const want = parseKeyLine(a.key)!;
  const lines = text === '' ? [] : text.split('\n');
  const trailing = lines.length > 0 && lines[lines.length - 1] === '';
  if (trailing) lines.pop();
  const out: string[] = [];
  let seen = false;
  for (const line of lines) {
    const k = parseKeyLine(line);
    const same = k !== undefined && k.type === want.type && k.body === want.body;
    if (a.state === 'absent') {
      if (!same) out.push(line);
    } else if (same) {
      // One line per key: later duplicates go.
      if (seen) continue;
      seen = true;
      const line2 = render({ ...want, comment: want.comment || k.comment });
      out.push(k.options === want.options && (want.comment === '' || k.comment === want.comment) ? line : line2);
    } else if (!(a.exclusive && k !== undefined)) {
      out.push(line);
    }
  }
  if (a.state !== 'absent' && !seen) out.push(render(want));
  const result = out.length ? out.join('\n') + '\n' : '';
  return result === text ? undefined : result;
}

/** How the key stands before a change, for the report. */
function keyBefore(text: string, exists: boolean, a: AuthorizedKeyArgs): string {
  if (a.state === 'absent') return 'present';
  if (!exists) return 'no authorized_keys';
  const want = parseKeyLine(a.key)!;
  const found = text.split('\n').map(parseKeyLine).filter((k) => k?.type === want.type && k.body === want.body);
  if (found.length === 0) return 'missing';
  if (found.length > 1) return 'present more than once';
  return editKeys(text, { ...a, exclusive: false }) === undefined ? 'present with other keys' : 'present with other options or comment';
}

interface KeyData { dir: string; file: string; content: Buffer; uid: number; gid: number; mkdir: boolean }

/**
 * A public key in a user's `~/.ssh/authorized_keys`: the line is added (or removed), every other
 * line is kept as it was, and the file is written atomically, 0600 and the user's. `~/.ssh` is
 * created 0700 and the user's when missing. A key is the same key when its type and base64 are:
 * a line that differs only in its comment is left alone unless a comment is given here.
 *
 * @example
 * host('web-01').authorizedKey('vagrant', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... alice@laptop')
 */
export const authorizedKeyOp: OpSpec<AuthorizedKeyArgs> = {
  kind: 'authorizedKey',
  keys: { user: 'string', key: 'string', state: 'string', exclusive: 'boolean' },
  describe: (a) => {
    const k = typeof a.key === 'string' ? parseKeyLine(a.key) : undefined;
    return `authorizedKey ${a.user}: ${k ? `${k.type} ${k.body.slice(-12)}${k.comment ? ` ${k.comment}` : ''}` : 'key'}${a.state === 'absent' ? ' (absent)' : ''}`;
  },

  validate(a) {
    const problems: string[] = [];
    if (typeof a.user !== 'string' || !isValidName(a.user) || /^\d+$/.test(a.user)) problems.push(`user ${JSON.stringify(a.user)} is not a valid user name`);
    const st = oneOfProblem('state', a.state, ['present', 'absent']);
    if (st) problems.push(st);
    if (a.exclusive !== undefined && typeof a.exclusive !== 'boolean') problems.push(`exclusive ${JSON.stringify(a.exclusive)} must be true or false`);
    if (a.exclusive && a.state === 'absent') problems.push("exclusive goes with state 'present', not 'absent'");
    const shown = typeof a.key === 'string' && a.key.length > 120 ? `${JSON.stringify(a.key.slice(0, 100))}...` : JSON.stringify(a.key);
    if (typeof a.key !== 'string' || a.key.trim() === '') { problems.push(`key ${shown} must be a public key line like 'ssh-ed25519 AAAA... alice@laptop'`); return problems; }
    if (/[\r\n]/.test(a.key.trim())) { problems.push(`key ${shown} must be one line (one key per task)`); return problems; }
    const k = parseKeyLine(a.key);
    if (!k) { problems.push(`key ${shown} is not a public key line: it must be [options] type base64 [comment], with a type among ${KEY_TYPES.join(', ')}`); return problems; }
    const inBlob = blobType(k.body);
    if (inBlob === undefined) problems.push(`key ${shown} has a body that is not a base64 public key (cut short, or not a key?)`);
    else if (inBlob !== k.type) problems.push(`key ${shown} says ${k.type}, but its base64 is a ${inBlob} key`);
    return problems;
  },

  probe(a) {
    const u = quote(a.user);
    // The home comes from the host's passwd; the paths under it are built there, in the shell.
    const home = `h=$(getent passwd ${u} | cut -d: -f6)`;
    const stat = (v: string) => `if [ -L "${v}" ]; then echo link; elif [ -e "${v}" ]; then stat -c '%F %a %U %G %u %g' "${v}" | sed 's/^regular empty file/file/; s/^regular file/file/'; else echo absent; fi`;
    return [
      section('passwd', `getent passwd ${u}`),
      section('dir', `${home}; d="$h/.ssh"; if [ -z "$h" ] || [ ! -d "$h" ]; then echo nohome; else ${stat('$d')}; fi`),
      section('file', `${home}; f="$h/.ssh/authorized_keys"; ${stat('$f')}`),
      section('keys', `${home}; f="$h/.ssh/authorized_keys"; if [ -n "$h" ] && [ -f "$f" ] && [ ! -L "$f" ]; then cat "$f"; fi`),
    ].join('; ');
  },

  diff(a, probed, ctx) {
    const s = splitSections(probed.stdout);
    const pw = parsePasswd(s.passwd);
    if (!pw) {
      if (a.state === 'absent') return { changes: [], noop: `user ${a.user} does not exist` };
      if (ctx.check) return { changes: [{ what: 'key', before: 'user missing', after: 'present' }], uncertain: `user ${a.user} does not exist yet` };
      throw new ShipshapeError(`user ${a.user} does not exist on ${ctx.host}`, { host: ctx.host, fix: 'create the user first (user op), or check the name' });
    }
    const dirLine = (s.dir ?? '').split('\n')[0]!.trim();
    const dirPath = `${trimSlashes(pw.home)}/.ssh`;
    const file = `${dirPath}/authorized_keys`;
    if (dirLine === 'nohome') {
      if (a.state === 'absent') return { changes: [], noop: `${a.user} has no home directory (${pw.home})` };
      throw new ShipshapeError(`home directory ${pw.home} of ${a.user} does not exist`, { host: ctx.host, fix: 'create it first (user with createHome, or file with state directory)' });
    }
    const fileLine = (s.file ?? '').split('\n')[0]!.trim();
    const dir = parseStat(dirLine);
    const st = parseStat(fileLine);
    for (const [p, line, x, want] of [[dirPath, dirLine, dir, 'directory'], [file, fileLine, st, 'file']] as const) {
      if (x.type !== 'absent' && x.type !== want) {
        throw new ShipshapeError(`${p} is ${line === 'link' ? 'a symlink' : `not a ${want}`}: refusing to write through it`, { host: ctx.host, fix: `make ${p} a plain ${want} owned by ${a.user}` });
      }
    }
    const text = st.type === 'file' ? s.keys ?? '' : '';
    const edited = st.type === 'absent' && a.state === 'absent' ? undefined : editKeys(text, a);
    const changes: Change[] = [];
    if (edited !== undefined) {
      const state: ContentState = st.type === 'file' ? { stat: st, sha256: sha256(text), content: Buffer.from(text) } : { stat: { type: 'absent' } };
      const c = contentChange(file, Buffer.from(edited), state)!;
      changes.push({ ...c, what: 'key', before: keyBefore(text, st.type === 'file', a), after: a.state === 'absent' ? 'absent' : 'present' });
    }
    const noop = a.state === 'absent' ? `${file} has no such key` : `${file} has the key`;
    // Owner and modes are ensured only when the key is to be there (sshd's StrictModes wants them).
    if (a.state !== 'absent') {
      if (dir.type === 'directory' && (dir.uid !== pw.uid || dir.mode !== 0o700)) changes.push({ what: 'dir', before: `${modeString(dir.mode ?? 0)} ${dir.owner}`, after: `0700 ${a.user}` });
      if (st.type === 'file' && edited === undefined && (st.uid !== pw.uid || st.mode !== 0o600)) changes.push({ what: 'file', before: `${modeString(st.mode ?? 0)} ${st.owner}`, after: `0600 ${a.user}` });
    }
    const data: KeyData = { dir: dirPath, file, content: Buffer.from(edited ?? text), uid: pw.uid, gid: pw.gid, mkdir: dir.type === 'absent' };
    return { changes, noop, data };
  },

  apply(a, diff): Action[] {
    const d = diff.data as KeyData;
    const has = (w: string) => diff.changes.some((c) => c.what === w);
    const ids = `${d.uid}:${d.gid}`;
    const actions: Action[] = [];
    if (has('key') && d.mkdir) actions.push({ kind: 'exec', command: `mkdir -m 0700 -- ${quote(d.dir)} && chown -h ${ids} -- ${quote(d.dir)}` });
    if (has('dir')) actions.push({ kind: 'exec', command: `chown -h ${ids} -- ${quote(d.dir)} && chmod 0700 -- ${quote(d.dir)}` });
    if (has('key')) actions.push({ kind: 'put', path: d.file, data: d.content, mode: 0o600, owner: String(d.uid), group: String(d.gid) });
    else if (has('file')) actions.push({ kind: 'exec', command: `chown -h ${ids} -- ${quote(d.file)} && chmod 0600 -- ${quote(d.file)}` });
    return actions;
  },
};
