// Memory, filesystems, packages, accounts, Python and the service manager, from the probe's
// sections. Pure: lines in, facts out; a line that does not parse is skipped.
import type { BlockDeviceFacts, GroupFacts, MemoryFacts, MountFacts, PythonFacts, ServiceManager, UserFacts } from '../ops/fact-types.js';

type Lines = readonly string[];

const mb = (kb: number) => Math.floor(kb / 1024);

/**
 * @example
 * parseMemory(['MemTotal: 2048000 kB', 'MemAvailable: 1024000 kB']).totalMb   // 2000
 */
export function parseMemory(lines: Lines): MemoryFacts {
  const kb = new Map<string, number>();
  for (const l of lines) {
    const m = /^(\w+):\s+(\d+)/.exec(l);
    if (m) kb.set(m[1]!, Number(m[2]));
  }
  const k = (n: string) => kb.get(n) ?? 0;
  const available = kb.has('MemAvailable') ? k('MemAvailable') : k('MemFree') + k('Buffers') + k('Cached');
  return { totalMb: mb(k('MemTotal')), availableMb: mb(available), swapTotalMb: mb(k('SwapTotal')), swapFreeMb: mb(k('SwapFree')) };
}

/** /proc/mounts writes space, tab, newline and backslash as octal escapes. */
const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

// Listed only when df could not say which filesystems hold data.
const PSEUDO = new Set(['proc', 'sysfs', 'devpts', 'cgroup', 'cgroup2', 'mqueue', 'debugfs', 'tracefs', 'securityfs', 'pstore',
  'bpf', 'configfs', 'fusectl', 'hugetlbfs', 'autofs', 'binfmt_misc', 'efivarfs', 'rpc_pipefs', 'nsfs', 'devtmpfs', 'ramfs']);

/**
 * Mounts of `df -P -k`, with device and type from /proc/mounts; without df's output, the
 * non-pseudo entries of /proc/mounts with sizes null.
 *
 * @example
 * parseMounts(['Filesystem 1024-blocks Used Available Capacity Mounted on', '/dev/sda1 1048576 524288 524288 50% /'], ['/dev/sda1 / ext4 rw 0 0'])
 * // [{ device: '/dev/sda1', mountpoint: '/', fstype: 'ext4', sizeMb: 1024, availableMb: 512 }]
 */
export function parseMounts(df: Lines, procMounts: Lines): MountFacts[] {
  const proc = new Map<string, { device: string; fstype: string }>();
  const order: string[] = [];
  for (const l of procMounts) {
    const f = l.split(' ');
    if (f.length < 3 || !f[1]) continue;
    const mountpoint = unescapeMount(f[1]);
    if (!proc.has(mountpoint)) order.push(mountpoint);
    // the last mount on a path is the one that shows
    proc.set(mountpoint, { device: unescapeMount(f[0]!), fstype: f[2]! });
  }
  const out: MountFacts[] = [];
  const seen = new Set<string>();
  for (const l of df) {
    // the mountpoint is the rest of the line: it may hold spaces
    const m = /^(\S+)\s+(\d+)\s+\d+\s+(\d+)\s+(?:\d+%|-)\s+(\/.*)$/.exec(l);
    if (!m || seen.has(m[4]!)) continue;
    seen.add(m[4]!);
    const p = proc.get(m[4]!);
    out.push({ device: p?.device ?? m[1]!, mountpoint: m[4]!, fstype: p?.fstype ?? '', sizeMb: mb(Number(m[2])), availableMb: mb(Number(m[3])) });
  }
  if (out.length) return out;
  return order.filter((mp) => !PSEUDO.has(proc.get(mp)!.fstype))
    .map((mp) => ({ ...proc.get(mp)!, mountpoint: mp, sizeMb: null, availableMb: null }));
}

/** Disks and partitions of /proc/partitions (its sizes are 1 KiB blocks). */
export function parsePartitions(lines: Lines): BlockDeviceFacts[] {
  const out: BlockDeviceFacts[] = [];
  for (const l of lines) {
    const m = /^\s*\d+\s+\d+\s+(\d+)\s+(\S+)\s*$/.exec(l);
    if (m) out.push({ name: m[2]!, sizeMb: mb(Number(m[1])) });
  }
  return out;
}

/** dpkg's status, abbreviated (`ii `, `hi `: the second letter is the state) or in full (`install ok installed`). */
const isInstalled = (status: string) => (status.length === 3 ? status[1] === 'i' : / installed$/.test(status));

/**
 * Installed packages, name → version, from dpkg-query (`Status\tPackage\tVersion`: only those
 * whose state is installed) or rpm (`name\tversion-release`). The first of a name
 * wins (multiarch, several gpg-pubkey entries).
 *
 * @example
 * parsePackages(['install ok installed\topenssh-server\t1:9.2p1-2'], [])['openssh-server']   // '1:9.2p1-2'
 */
export function parsePackages(dpkg: Lines, rpm: Lines): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const l of dpkg) {
    const [status, name, version] = l.split('\t');
    if (name && version !== undefined && isInstalled(status ?? '') && !(name in out)) out[name] = version;
  }
  for (const l of rpm) {
    const [name, version] = l.split('\t');
    if (name && version !== undefined && !(name in out)) out[name] = version;
  }
  return out;
}

const isId = (s: string | undefined) => s !== undefined && /^\d+$/.test(s);

/** Users by name from passwd lines (`name:x:uid:gid:gecos:home:shell`); the first of a name wins. */
export function parsePasswd(lines: Lines): Record<string, UserFacts> {
  const out: Record<string, UserFacts> = Object.create(null);
  for (const l of lines) {
    const f = l.split(':');
    if (f.length < 7 || !f[0] || !isId(f[2]) || !isId(f[3]) || f[0] in out) continue;
    out[f[0]] = { uid: Number(f[2]), gid: Number(f[3]), comment: f.slice(4, -2).join(':'), home: f[f.length - 2]!, shell: f[f.length - 1]! };
  }
  return out;
}

/** Groups by name from group lines (`name:x:gid:a,b`); the first of a name wins. */
export function parseGroups(lines: Lines): Record<string, GroupFacts> {
  const out: Record<string, GroupFacts> = Object.create(null);
  for (const l of lines) {
    const f = l.split(':');
    if (f.length < 4 || !f[0] || !isId(f[2]) || f[0] in out) continue;
    out[f[0]] = { gid: Number(f[2]), members: f.slice(3).join(':').split(',').map((m) => m.trim()).filter(Boolean) };
  }
  return out;
}

/** The upstream part of a package version: `3.11.2-6+deb12u1` and `1:3.11.2-1` give `3.11.2`. */
const upstream = (v: string) => v.replace(/^\d+:/, '').replace(/-[^-]*$/, '');

/**
 * python3's path and version from `path=`, `real=` (the symlink's target), `dpkg=` and `rpm=`
 * lines. A package version that disagrees with the target's name (`python3.11`) loses to it.
 *
 * @example
 * parsePython(['path=/usr/bin/python3', 'real=/usr/bin/python3.11', 'dpkg=3.11.2-6+deb12u1'])   // { path: '/usr/bin/python3', version: '3.11.2' }
 */
export function parsePython(lines: Lines): PythonFacts {
  const kv = new Map<string, string>();
  for (const l of lines) {
    const i = l.indexOf('=');
    if (i > 0 && !kv.has(l.slice(0, i))) kv.set(l.slice(0, i), l.slice(i + 1).trim());
  }
  const path = kv.get('path') ?? '';
  if (!path) return { path: '', version: '' };
  const named = /python(\d+\.\d+)$/.exec(kv.get('real') ?? '')?.[1];
  const pkg = [kv.get('dpkg'), kv.get('rpm')].map((v) => (v ? upstream(v) : '')).find((v) => /^\d+\.\d+/.test(v));
  const agrees = pkg && (!named || pkg === named || pkg.startsWith(`${named}.`));
  return { path, version: (agrees ? pkg : named) ?? '' };
}

/**
 * What manages services, from PID 1's name and the paths the probe found, as Ansible's
 * `service_mgr`: systemd when /run/systemd/system exists, then openrc, runit, s6, upstart,
 * sysvinit (there is an /etc/init.d), else unknown.
 *
 * @example
 * serviceManagerOf('init', new Set(['/run/openrc', '/etc/init.d']), 'sysvinit')   // 'openrc'
 */
export function serviceManagerOf(pid1: string, has: ReadonlySet<string>, init: 'systemd' | 'sysvinit'): ServiceManager {
  if (init === 'systemd') return 'systemd';
  if (pid1 === 'openrc-init' || has.has('/run/openrc')) return 'openrc';
  if (pid1 === 'runit' || pid1 === 'runit-init' || has.has('/run/runit')) return 'runit';
  if (pid1.startsWith('s6-svscan') || has.has('/run/s6')) return 's6';
  if (pid1 === 'init' && has.has('/sbin/initctl') && has.has('/etc/init')) return 'upstart';
  if (has.has('/etc/init.d')) return 'sysvinit';
  return 'unknown';
}
