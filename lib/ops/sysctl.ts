import { quote } from '../transport/quote.js';
import { parseStat, section, splitSections, statProbe } from './common.js';
import { contentProbe, fileActions, fileChanges, parseContentProbe, type PutData } from './content.js';
import type { Action, Change, OpSpec } from './types.js';

export interface SysctlArgs {
  /**
   * A kernel parameter, dotted (`net.ipv4.ip_forward`) or as its path under /proc/sys
   * (`net/ipv4/ip_forward`). As in sysctl(8), a dotted key writes a dot inside a name as `/`
   * (`net.ipv4.conf.eth0/100.forwarding`).
   */
  key: string;
  /** One line; for keys with several values, separated by spaces (`'32768 60999'`). */
  value: string;
  /**
   * Also written to `/etc/sysctl.d/99-shipshape-<key>.conf` (dots for slashes) so it holds after a
   * reboot (default true). With false the value is only set now, and that file is left as it is.
   */
  persist?: boolean;
}

export const SYSCTL_DIR = '/etc/sysctl.d';

/**
 * The path under /proc/sys of a key: a dotted key has its dots and slashes swapped (as
 * sysctl(8) reads it), a key whose first separator is `/` is a path already.
 *
 * @example
 * sysctlPath('net.ipv4.conf.eth0/100.forwarding')   // 'net/ipv4/conf/eth0.100/forwarding'
 */
export function sysctlPath(key: string): string {
  const first = /[./]/.exec(key)?.[0];
  if (first === '/') return key;
  return key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

/**
 * Where a key is persisted: `/etc/sysctl.d/99-shipshape-<key>.conf`, the key in its path form
 * with dots for slashes; 99 so it comes after the distribution's files.
 *
 * @example
 * sysctlFile('net.core.somaxconn')   // '/etc/sysctl.d/99-shipshape-net.core.somaxconn.conf'
 */
export function sysctlFile(key: string): string {
  return `${SYSCTL_DIR}/99-shipshape-${sysctlPath(key).replace(/\//g, '.')}.conf`;
}

/**
 * A value as compared: words split on any whitespace (the kernel prints multi-value keys with
 * tabs), integers without leading zeros or a plus.
 *
 * @example
 * normalValue('32768\t60999\n')   // '32768 60999'
 */
export function normalValue(v: string): string {
  return v.trim().split(/\s+/).map((w) => (/^[+-]?\d+$/.test(w) ? String(BigInt(w)) : w)).join(' ');
}

const fileText = (a: SysctlArgs) => `# managed by shipshape\n${a.key} = ${a.value.trim()}\n`;
const ATTRS = { owner: 'root', group: 'root', mode: 0o644 } as const;

interface SysctlData extends PutData { mkdir: boolean }

/**
 * A kernel parameter set now (written to /proc/sys) and, unless `persist: false`, kept in its own
 * file under /etc/sysctl.d. Values compare with whitespace normalised, so `'32768 60999'` matches
 * the tab the kernel prints. A key the host does not have is an error.
 *
 * @example
 * host('web-01').sysctl('net.core.somaxconn', 1024).sysctl('net.ipv4.ip_local_port_range', '32768 60999')
 */
export const sysctlOp: OpSpec<SysctlArgs> = {
  kind: 'sysctl',
  keys: { key: 'string', value: 'string', persist: 'boolean' },
  describe: (a) => `sysctl ${a.key}=${a.value}`,

  validate(a) {
    const problems: string[] = [];
    const seg = '[A-Za-z0-9_:@+-]+';
    if (typeof a.key !== 'string' || !new RegExp(`^${seg}([./]${seg})*$`).test(a.key) || a.key.length > 255) {
      problems.push(`key ${JSON.stringify(a.key)} must be a kernel parameter like net.ipv4.ip_forward or net/ipv4/ip_forward (no spaces, no leading or doubled separator)`);
    }
    if (typeof a.value !== 'string' || a.value.trim() === '') problems.push(`value ${JSON.stringify(a.value)} must be a non-empty string or a number`);
    else if (/[\r\n]/.test(a.value)) problems.push(`value ${JSON.stringify(a.value)} must be one line (no newline)`);
    if (a.persist !== undefined && typeof a.persist !== 'boolean') problems.push(`persist ${JSON.stringify(a.persist)} must be true or false`);
    return problems;
  },

  probe(a) {
    const p = quote(`/proc/sys/${sysctlPath(a.key)}`);
    const now = `if [ ! -e ${p} ]; then echo missing; elif v=$(cat ${p} 2>&1); then echo ok; printf '%s\\n' "$v"; else echo unreadable; printf '%s\\n' "$v"; fi`;
    const parts = [section('now', now)];
    if (a.persist !== false) parts.push(section('file', contentProbe(sysctlFile(a.key))), section('dir', statProbe(SYSCTL_DIR)));
    return parts.join('; ');
  },

  diff(a, probed, ctx) {
    const s = splitSections(probed.stdout);
    const [status = '', ...rest] = (s.now ?? '').split('\n');
    const current = rest.join('\n');
    const want = normalValue(a.value);
    const changes: Change[] = [];
    let fails: string | undefined;
    if (status !== 'ok') {
      fails = status === 'unreadable'
        ? `sysctl key ${a.key} cannot be read on ${ctx.host}: ${current.trim() || 'no reason given'}`
        : `sysctl key ${a.key} does not exist on ${ctx.host} (no /proc/sys/${sysctlPath(a.key)})`;
      changes.push({ what: 'value', before: status === 'unreadable' ? 'unreadable' : 'no such key', after: want });
    } else if (normalValue(current) !== want) {
      changes.push({ what: 'value', before: normalValue(current), after: want });
    }
    let data: SysctlData | undefined;
    if (a.persist !== false) {
      const path = sysctlFile(a.key);
      const state = parseContentProbe(s.file ?? 'absent\n-\n');
      const content = Buffer.from(fileText(a));
      changes.push(...fileChanges(path, content, state, ATTRS, ctx.host));
      data = { path, content, state, mkdir: parseStat((s.dir ?? '').split('\n')[0] ?? '').type === 'absent' };
    }
    const noop = `${a.key} is ${want}${a.persist !== false ? ` and persisted in ${sysctlFile(a.key)}` : ''}`;
    return { changes, noop, data, ...(fails ? { fails } : {}) };
  },

  apply(a, diff): Action[] {
    const actions: Action[] = [];
    // Set now first: a value the kernel refuses (EINVAL) fails here and is not persisted.
    if (diff.changes.some((c) => c.what === 'value')) {
      const p = quote(`/proc/sys/${sysctlPath(a.key)}`);
      actions.push({ kind: 'exec', command: `printf '%s\\n' ${quote(a.value.trim())} > ${p}`, failure: `the kernel refused ${a.key} = ${a.value.trim()}` });
    }
    const data = diff.data as SysctlData | undefined;
    if (data && diff.changes.some((c) => c.what !== 'value')) {
      if (data.mkdir) actions.push({ kind: 'exec', command: `mkdir -p -m 0755 -- ${SYSCTL_DIR}` });
      actions.push(...fileActions(data, ATTRS, diff.changes));
    }
    return actions;
  },
};
