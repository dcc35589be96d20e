/**
 * The lab's lines in a known_hosts file: one per address and forwarded SSH port of each host,
 * marked with a comment naming the cluster so `lab down` removes exactly those.
 */
import { createHmac } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { withKnownHostsLock } from '../transport/known-hosts.js';
import { dirname } from 'node:path';

export interface KnownHost {
  /** How ssh names the host in known_hosts: `10.77.0.11` or `[127.0.0.1]:22003`. */
  host: string;
  /** `ssh-ed25519 AAAA...` */
  key: string;
}

/**
 * ssh's name for an address and port: the bare address for 22, else `[address]:port`.
 *
 * @example
 * knownHostName('127.0.0.1', 22003)   // '[127.0.0.1]:22003'
 */
export function knownHostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** True when a known_hosts host pattern (plain or hashed `|1|salt|hash`) is exactly `name`. */
function patternIs(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return pattern === name;
}

function readLines(file: string): string[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/** The folder of a known_hosts file, made (and owned like its parent, the home) when missing. */
function ensureFolder(file: string): void {
  if (existsSync(dirname(file))) return;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const home = statSync(dirname(dirname(file)));
  chownSync(dirname(file), home.uid, home.gid);
}

function writeLines(file: string, lines: string[]): void {
  const fresh = !existsSync(file);
  const mode = fresh ? 0o644 : statSync(file).mode & 0o777;
  const owner = statSync(fresh ? dirname(file) : file);
  const tmp = `${file}.shipshape-${process.pid}.tmp`;
  writeFileSync(tmp, lines.length ? lines.join('\n') + '\n' : '');
  chmodSync(tmp, mode);
  chownSync(tmp, owner.uid, owner.gid);
  renameSync(tmp, file);
}

/**
 * Records `entries` in `file`, tagged with `tag`, after dropping every other entry for the
 * same names (a stale key from an earlier lab or VM on that address and port).
 *
 * @example
 * addKnownHosts('/root/.ssh/known_hosts', [{ host: '[127.0.0.1]:22003', key: 'ssh-ed25519 AAAA...' }], 'shipshape-lab-1a2b3c4d5e6f')
 */
export function addKnownHosts(file: string, entries: KnownHost[], tag: string): void {
  ensureFolder(file);
  withKnownHostsLock(file, () => addLocked(file, entries, tag));
}

function addLocked(file: string, entries: KnownHost[], tag: string): void {
  const names = new Set(entries.map((e) => e.host));
  const kept: string[] = [];
  for (const line of readLines(file)) {
    const fields = line.trim().split(/\s+/);
    if (line.trim() === '' || line.trim().startsWith('#') || fields[0]!.startsWith('@') || fields.length < 3) {
      kept.push(line);
      continue;
    }
    if (fields[3] === tag) continue;
    const patterns = fields[0]!.split(',');
    const left = patterns.filter((p) => ![...names].some((n) => patternIs(p, n)));
    if (left.length === patterns.length) kept.push(line);
    else if (left.length) kept.push([left.join(','), ...fields.slice(1)].join(' '));
  }
  const wanted = entries.map((e) => `${e.host} ${e.key} ${tag}`);
  if (wanted.join('\n') && kept.concat(wanted).join('\n') === readLines(file).join('\n')) return;
  writeLines(file, [...kept, ...wanted]);
}

/**
 * Removes the lines tagged `tag` (the ones `addKnownHosts` wrote), leaving the user's own
 * lines untouched.
 *
 * @example
 * removeKnownHosts('/root/.ssh/known_hosts', 'shipshape-lab-1a2b3c4d5e6f')
 */
export function removeKnownHosts(file: string, tag: string): void {
  if (!existsSync(dirname(file))) return;
  withKnownHostsLock(file, () => {
    const lines = readLines(file);
    const kept = lines.filter((l) => l.trim().split(/\s+/)[3] !== tag);
    if (kept.length !== lines.length) writeLines(file, kept);
  });
}

/**
 * The lines of `file` tagged `tag`: what `lab up` recorded for one cluster.
 *
 * @example
 * knownHostsTagged('/root/.ssh/known_hosts', 'shipshape-lab-1a2b3c4d5e6f')   // ['10.77.0.11 ssh-ed25519 AAAA... shipshape-lab-1a2b3c4d5e6f']
 */
export function knownHostsTagged(file: string, tag: string): string[] {
  return readLines(file).filter((l) => l.trim().split(/\s+/)[3] === tag);
}
