// The bench's cluster.json (the seed's format) and the host lists each tool is given.
import { writeFileSync } from 'node:fs';

/** Ports on 127.0.0.1 no test uses: ssh 26001.., web 27001... */
export const SSH_BASE = 26001;
export const WEB_BASE = 27001;

/** `bench-001`, `bench-002`, ... */
export const hostName = (i: number): string => `bench-${String(i + 1).padStart(3, '0')}`;

/** The group of the first `n` hosts in cluster.json, for `--limit`. */
export const sizeGroup = (n: number): string => `size-${n}`;

/** The names of the first `n` hosts. */
export const firstHosts = (n: number): string[] => Array.from({ length: n }, (_, i) => hostName(i));

/**
 * Writes cluster.json with `count` nodes; the first `webCount` also forward guest port 80.
 * Each node is in the group `size-<n>` of every size n it falls within, so a deploy runs on the
 * first n hosts with `--limit size-<n>` and an Ansible inventory is the same list.
 *
 * @example
 * writeCluster('/tmp/p/cluster.json', 200, 50, [1, 10, 50, 100, 200])
 */
export function writeCluster(file: string, count: number, webCount: number, sizes: number[]): void {
  const nodes = Array.from({ length: count }, (_, i) => ({
    host_name: hostName(i),
    groups: sizes.filter((n) => i < n).map(sizeGroup),
    port_mappings: [
      { guest_port: 22, host_port: SSH_BASE + i, host_ip: '127.0.0.1' },
      ...(i < webCount ? [{ guest_port: 80, host_port: WEB_BASE + i, host_ip: '127.0.0.1' }] : []),
    ],
  }));
  writeFileSync(file, JSON.stringify({ nodes }, null, 2) + '\n');
}

