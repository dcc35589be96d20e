// The shell of the facts probe: the base facts as key=value lines, then each extended group's
// raw command output in sections that lib/engine/facts.ts parses. Plain shell: nothing here
// starts an interpreter on the host.
import type { FactGroup } from '../ops/fact-types.js';

/** The base facts, always gathered: one `key=value` line each. */
export const BASE_PROBE = [
  // Read with the shell's own `read` where a file tells it (no process): the kernel's host
  // name is what `hostname` prints; os-release is read line by line, not sourced.
  'h=; { read -r h < /proc/sys/kernel/hostname; } 2>/dev/null || h=$(hostname 2>/dev/null || cat /etc/hostname); echo "hostname=$h"',
  `dq='"'; sq="'"; o_id=; o_ver=; o_code=; while IFS='=' read -r k v || [ -n "$k" ]; do case $v in "$dq"*"$dq"|"$sq"*"$sq") v=\${v#?}; v=\${v%?} ;; esac; case $k in ID) o_id=$v ;; VERSION_ID) o_ver=$v ;; VERSION_CODENAME) o_code=$v ;; esac; done 2>/dev/null < /etc/os-release`,
  'echo "os_id=${o_id:-unknown}"; echo "os_version=$o_ver"; echo "os_codename=$o_code"',
  'echo "arch=$(uname -m)"',
  'if [ -d /run/systemd/system ]; then echo init=systemd; else echo init=sysvinit; fi',
  // serviceManager: what is there, decided by serviceManagerOf (pure)
  'c=; { read -r c < /proc/1/comm; } 2>/dev/null; echo "pid1=$c"',
  'for m in /run/openrc /run/runit /run/s6 /sbin/initctl /etc/init /etc/init.d; do [ -e "$m" ] && echo "has=$m"; done',
  'echo "cpus=$(nproc 2>/dev/null || echo 1)"',
  'echo "user=$(id -un)"',
].join('; ');

/**
 * `_s NAME` prints a section marker, then its stdin with every line prefixed by `|`: no
 * output (a GECOS field, a package name) can pose as a marker or as a base fact.
 */
const SECTION_FN = "_s() { echo \"@@$1\"; sed 's/^/|/'; }";

// What each group runs. Every command may be missing: its section is then empty or absent,
// and the parser gives an empty value, never a crash.
const GROUP_SCRIPTS: Record<FactGroup, string> = {
  memory: "grep -E '^(MemTotal|MemFree|MemAvailable|Buffers|Cached|SwapTotal|SwapFree):' /proc/meminfo | _s memory/meminfo",
  network: [
    'if command -v ip >/dev/null 2>&1; then',
    '  ip -o addr show | _s network/ip-addr',
    '  ip -o link show | _s network/ip-link',
    '  ip -4 route show default | _s network/ip-route4',
    '  ip -6 route show default | _s network/ip-route6',
    'else',
    '  for d in /sys/class/net/*; do [ -r "$d/address" ] && echo "${d##*/} $(cat "$d/address")"; done | _s network/sys-net',
    '  cat /proc/net/if_inet6 | _s network/if-inet6',
    '  head -n 2000 /proc/net/route | _s network/proc-route',
    "  grep '^0\\{32\\} 00 ' /proc/net/ipv6_route | _s network/ipv6-route",
    // the local addresses only: the whole trie of a router is huge
    "  grep -B1 '/32 host LOCAL' /proc/net/fib_trie | _s network/fib-trie",
    'fi',
  ].join('\n'),
  mounts: [
    // a hung network mount must not hang the probe
    'if command -v timeout >/dev/null 2>&1; then timeout 10 df -P -k; else df -P -k; fi | _s mounts/df',
    // device, mountpoint, type: the options of an overlay mount alone run to hundreds of bytes
    "cut -d ' ' -f 1-3 /proc/mounts | _s mounts/proc-mounts",
  ].join('\n'),
  blockDevices: 'cat /proc/partitions | _s blockDevices/partitions',
  packages: [
    // `ii ` rather than `install ok installed`: a few KB less for a thousand packages
    "if command -v dpkg-query >/dev/null 2>&1; then dpkg-query -W -f '${db:Status-Abbrev}\\t${Package}\\t${Version}\\n' | _s packages/dpkg",
    "elif command -v rpm >/dev/null 2>&1; then rpm -qa --qf '%{NAME}\\t%{VERSION}-%{RELEASE}\\n' | _s packages/rpm; fi",
  ].join('\n'),
  users: '{ getent passwd || cat /etc/passwd; } | _s users/passwd',
  groups: '{ getent group || cat /etc/group; } | _s groups/group',
  python: [
    '{ p=$(command -v python3); echo "path=$p"',
    '  if [ -n "$p" ]; then r=$(readlink -f "$p"); echo "real=$r"; b=${r##*/}',
    "    v=$(dpkg-query -W -f '${Version}\\n' \"$b-minimal\" \"$b\" 2>/dev/null | head -n 1) && echo \"dpkg=$v\"",
    "    v=$(rpm -qf --qf '%{VERSION}\\n' \"$r\" 2>/dev/null | head -n 1) && echo \"rpm=$v\"",
    '  fi; } | _s python/python',
  ].join('\n'),
};

/**
 * The facts probe: the base facts, then the given groups (each opens with its `@@group`
 * marker, so the parser knows it was asked for even when its commands printed nothing).
 *
 * @example
 * factsProbe(['memory'])   // 'echo "hostname=…"; …\n_s() { … }\necho @@memory\ngrep -E … /proc/meminfo | _s memory/meminfo'
 */
export function factsProbe(groups: readonly FactGroup[] = []): string {
  if (!groups.length) return BASE_PROBE;
  return [BASE_PROBE, SECTION_FN, ...groups.flatMap((g) => [`echo @@${g}`, GROUP_SCRIPTS[g]])].join('\n');
}

/** The probe's output cut up: base `key=value` pairs (the last of a key wins), the groups that were asked for, and each section's lines. */
export interface ProbeSections {
  kv: Map<string, string>;
  /** Paths the base probe found (`has=/run/openrc`). */
  has: Set<string>;
  groups: Set<string>;
  /** `network/ip-addr` → its lines, `|` prefix removed. */
  sections: Map<string, string[]>;
}

/**
 * Cuts the output of {@link factsProbe} into base facts and sections. Lines that are neither
 * a marker, a `|` line inside a section, nor `key=value` are ignored.
 *
 * @example
 * splitProbe('cpus=2\n@@memory\n@@memory/meminfo\n|MemTotal: 1024 kB\n').sections.get('memory/meminfo')   // ['MemTotal: 1024 kB']
 */
export function splitProbe(stdout: string): ProbeSections {
  const kv = new Map<string, string>();
  const has = new Set<string>();
  const groups = new Set<string>();
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('|')) {
      current?.push(line.slice(1));
    } else if (line.startsWith('@@')) {
      const name = line.slice(2).trim();
      if (name.includes('/')) {
        current = [];
        sections.set(name, current);
      } else {
        groups.add(name);
        current = undefined;
      }
    } else {
      const i = line.indexOf('=');
      if (i <= 0) continue;
      if (line.startsWith('has=')) has.add(line.slice(4).trim());
      else kv.set(line.slice(0, i), line.slice(i + 1).trim());
    }
  }
  return { kv, has, groups, sections };
}
