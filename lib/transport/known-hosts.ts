import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** One key line of a known_hosts file. */
export interface KnownHostEntry {
  file: string;
  /** 1-based line number, as OpenSSH and editors count. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written: a comma list of patterns, or one `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  key: Buffer;
}

/** What a known_hosts lookup found for a presented host key. */
export type HostKeyStatus =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'unknown' }
  /** `otherType`: the host offers a key type none of its lines has (a downgrade, or new keys). */
  | { status: 'changed'; entry: KnownHostEntry; otherType?: boolean }
  | { status: 'revoked'; entry: KnownHostEntry };

/**
 * Parses the text of a known_hosts file. Comments, blank lines and lines that are not
 * `[marker] hosts keytype base64 [comment]` are skipped, as OpenSSH does.
 *
 * @example
 * parseKnownHosts('[10.77.0.11]:2222 ssh-ed25519 AAAAC3...\n', '~/.ssh/known_hosts')
 */
export function parseKnownHosts(text: string, file = 'known_hosts'): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0]!.startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!;
      if (m !== '@revoked' && m !== '@cert-authority') return;
      marker = m.slice(1) as KnownHostEntry['marker'];
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) return;
    const key = Buffer.from(b64, 'base64');
    if (blobType(key) !== keyType) return;
    out.push({ file, line: i + 1, marker, hosts, keyType, key });
  });
  return out;
}

/**
 * The name OpenSSH looks a host up by: `host` on port 22, else `[host]:port`, lowercased as
 * OpenSSH does before matching or hashing.
 *
 * @example
 * hostLookupName('Web-01', 2222)   // '[web-01]:2222'
 */
export function hostLookupName(host: string, port = 22): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/**
 * Whether a string can be a host name or address in a known_hosts line: letters, digits and
 * `. _ - : %` (IPv6 and zone ids). Anything else (spaces, newlines, commas, patterns) could
 * add or widen lines.
 *
 * @example
 * isHostName('10.77.0.11')          // true
 * isHostName('x\n* ssh-ed25519 AAAA')  // false
 */
export function isHostName(host: string): boolean {
  return /^[A-Za-z0-9._:%-]{1,253}$/.test(host);
}

/**
 * Whether an entry's host field names this host and port (hashed entries, wildcards and `!negations` included).
 *
 * @example
 * entryMatches({ hosts: 'web-01,10.77.0.*' }, '10.77.0.11')   // true
 */
export function entryMatches(entry: Pick<KnownHostEntry, 'hosts'>, host: string, port = 22): boolean {
  const name = hostLookupName(host, port);
  if (entry.hosts.startsWith('|1|')) {
    const [, , salt, hash] = entry.hosts.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const pattern of entry.hosts.split(',')) {
    const negated = pattern.startsWith('!');
    if (!globMatch(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/**
 * Checks a presented host key against known_hosts entries, as OpenSSH does: a matching
 * `@revoked` line refuses it; a line with the same key accepts it; a line for this host
 * with the same key type but another key means the key changed. Stricter than OpenSSH: once
 * any key is on file for a host, a key of a type not on file is a change too, not a new
 * host (else a man in the middle offering another type would be recorded as new).
 *
 * @example
 * checkHostKey(readKnownHosts([file]), '10.77.0.11', 22, key).status   // 'known' | 'unknown' | 'changed' | 'revoked'
 */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyStatus {
  const mine = entries.filter((e) => e.marker !== 'cert-authority' && entryMatches(e, host, port));
  const revoked = mine.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const same = mine.find((e) => !e.marker && e.key.equals(key));
  if (same) return { status: 'known', entry: same };
  const type = blobType(key);
  const changed = mine.find((e) => !e.marker && e.keyType === type);
  if (changed) return { status: 'changed', entry: changed };
  const any = mine.find((e) => !e.marker);
  return any ? { status: 'changed', entry: any, otherType: true } : { status: 'unknown' };
}

/** Parsed files, by path, with what identified the version parsed (inode, size, times). */
const parsed = new Map<string, { version: string; entries: readonly KnownHostEntry[] }>();

/**
 * Reads and parses known_hosts files; a missing file has no entries. A file is parsed again
 * only when it changed (its inode, size, mtime or ctime): a deploy to 200 hosts asks for the
 * same lab file 400 times, and each parse of it held its own copy (10 MB at 200 hosts).
 *
 * @example
 * readKnownHosts([join(homedir(), '.ssh/known_hosts')])
 */
export function readKnownHosts(files: readonly string[]): KnownHostEntry[] {
  return files.flatMap((f) => {
    let st;
    try {
      st = statSync(f);
    } catch {
      parsed.delete(f);
      return [];
    }
    const version = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    const hit = parsed.get(f);
    if (hit?.version === version) return hit.entries;
    // Copied out of the file's text, so the entries do not keep the whole text alive.
    const entries = parseKnownHosts(readFileSync(f, 'utf8'), f).map((e) => ({ ...e, hosts: Buffer.from(e.hosts).toString() }));
    parsed.set(f, { version, entries });
    return entries;
  });
}

/**
 * The key types known for a host, so the client can ask for those first as OpenSSH does.
 *
 * @example
 * knownKeyTypes(entries, '10.77.0.11', 22)   // ['ssh-ed25519']
 */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const types = entries.filter((e) => !e.marker && entryMatches(e, host, port)).map((e) => e.keyType);
  return [...new Set(types)];
}

/**
 * The key's fingerprint as OpenSSH prints it: `SHA256:` and unpadded base64.
 *
 * @example
 * fingerprint(key)   // 'SHA256:JsbbTw3/+CM1W7XNmyVPhpHzNhXdo/0EnSni+FrBaqk'
 */
export function fingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/**
 * The key type named inside an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, ...).
 *
 * @example
 * blobType(Buffer.from(pubLine.split(' ')[1], 'base64'))   // 'ssh-ed25519'
 */
export function blobType(key: Buffer): string {
  if (key.length < 4) return '';
  const n = key.readUInt32BE(0);
  return n > 0 && n < 64 && key.length >= 4 + n ? key.subarray(4, 4 + n).toString('latin1') : '';
}

/**
 * A known_hosts line for a host key: `[addr]:port` form when the port is not 22,
 * hashed (`|1|salt|hash`) when asked, like `HashKnownHosts yes`.
 *
 * @example
 * knownHostsLine('127.0.0.1', 2222, key)   // '[127.0.0.1]:2222 ssh-ed25519 AAAA...'
 */
export function knownHostsLine(host: string, port: number, key: Buffer, hashed = false): string {
  if (!isHostName(host)) throw new TypeError(`not a host name or address: ${JSON.stringify(host)}`);
  let name = hostLookupName(host, port);
  if (hashed) {
    const salt = randomBytes(20);
    name = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
  }
  return `${name} ${blobType(key)} ${key.toString('base64')}`;
}

/**
 * Appends a host key to a known_hosts file, creating it (and its folder, mode 700) if needed.
 * The line is hashed when every line already in the file is (someone ran `ssh-keygen -H`
 * or has `HashKnownHosts yes`), so a hashed file does not start listing host names.
 *
 * @example
 * addKnownHost(join(homedir(), '.ssh/known_hosts'), '10.77.0.11', 22, key)
 */
export function addKnownHost(file: string, host: string, port: number, key: Buffer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  withKnownHostsLock(file, () => appendLine(file, host, port, key));
}

function appendLine(file: string, host: string, port: number, key: Buffer): void {
  let prefix = '';
  let hashed = false;
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    if (text !== '' && !text.endsWith('\n')) prefix = '\n';
    const entries = parseKnownHosts(text, file).filter((e) => e.marker === undefined);
    hashed = entries.length > 0 && entries.every((e) => e.hosts.startsWith('|1|'));
  }
  // One write with O_APPEND: concurrent first contacts do not interleave lines.
  appendFileSync(file, `${prefix}${knownHostsLine(host, port, key, hashed)}\n`, { mode: 0o600 });
}

/**
 * Runs `fn` holding `<file>.lock` (created exclusively; a lock older than 10 s is taken as left
 * by a dead process), so shipshape's writers of one known_hosts file never interleave: the
 * lab rewrites the file (read, filter, rename) while a deploy may append a first-contact key.
 * Synchronous, as both writers are.
 *
 * @example
 * withKnownHostsLock('/root/.ssh/known_hosts', () => appendFileSync(...))
 */
export function withKnownHostsLock<T>(file: string, fn: () => T, waitMs = 10_000): T {
  const lock = `${file}.lock`;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = (() => { try { return Date.now() - statSync(lock).mtimeMs; } catch { return 0; } })();
      if (age > 10_000 || Date.now() > until) { rmSync(lock, { force: true }); continue; }
      Atomics.wait(nap, 0, 0, 10);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function globMatch(pattern: string, text: string): boolean {
  // Most lines name hosts plainly: compared as text, no RegExp built (a deploy to 200 hosts
  // matched each of them against every line of the lab's known_hosts).
  if (!/[*?]/.test(pattern)) return pattern.toLowerCase() === text.toLowerCase();
  let re = globs.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.toLowerCase().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    if (globs.size > 10_000) globs.clear();
    globs.set(pattern, re);
  }
  return re.test(text.toLowerCase());
}

/** Compiled wildcard patterns of known_hosts lines. */
const globs = new Map<string, RegExp>();
