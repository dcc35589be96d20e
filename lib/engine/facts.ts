import type { Facts } from '../ops/types.js';

/** Probe script for the host's facts; its output is parsed by {@link parseFacts}. */
export const FACTS_PROBE = [
  'echo "hostname=$(hostname 2>/dev/null || cat /etc/hostname)"',
  '( . /etc/os-release 2>/dev/null; echo "os_id=${ID:-unknown}"; echo "os_version=${VERSION_ID:-}"; echo "os_codename=${VERSION_CODENAME:-}" )',
  'echo "arch=$(uname -m)"',
  'if [ -d /run/systemd/system ]; then echo init=systemd; else echo init=sysvinit; fi',
  'echo "cpus=$(nproc 2>/dev/null || echo 1)"',
  'echo "user=$(id -un)"',
].join('; ');

/**
 * Reads the output of {@link FACTS_PROBE} into the facts `when` callbacks receive.
 *
 * @example
 * parseFacts('hostname=web-01\ninit=sysvinit\ncpus=2\n', {}).cpus   // 2
 */
export function parseFacts(stdout: string, vars: Record<string, unknown>): Facts {
  const kv = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return {
    hostname: kv.get('hostname') ?? '',
    os: { id: kv.get('os_id') ?? 'unknown', versionId: kv.get('os_version') ?? '', codename: kv.get('os_codename') ?? '' },
    arch: kv.get('arch') ?? '',
    init: kv.get('init') === 'systemd' ? 'systemd' : 'sysvinit',
    cpus: Number(kv.get('cpus')) || 1,
    user: kv.get('user') ?? '',
    vars,
  };
}
