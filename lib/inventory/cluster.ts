import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ShipshapeError } from '../errors.js';
import type { InventoryData } from './types.js';

export interface ClusterPortMapping { guest_port: number; host_port: number; host_ip?: string }
export interface ClusterNode {
  host_name: string;
  port_mappings?: ClusterPortMapping[];
  network_configs?: { ip: string; name?: string; adapter?: number }[];
  /** shipshape's addition: groups the node belongs to (every node is in `all`). */
  groups?: string[];
}

/**
 * Reads the seed's cluster.json: each node is a host reached on the forwarded guest port 22
 * as `vagrant` with the key Vagrant (or `shipshape lab`) wrote next to the file.
 *
 * @example
 * loadClusterJson('cluster.json', readJson('cluster.json') as { nodes: unknown })
 */
export function loadClusterJson(file: string, data: { nodes?: unknown }): InventoryData {
  if (!Array.isArray(data.nodes)) throw new ShipshapeError(`${file}: "nodes" must be an array`);
  const dir = dirname(resolve(file));
  const out: Required<InventoryData> = { hosts: {}, groups: { all: [] } };
  data.nodes.forEach((raw, i) => {
    const n = raw as ClusterNode;
    if (!n || typeof n.host_name !== 'string' || !n.host_name) throw new ShipshapeError(`${file}: nodes[${i}].host_name must be a non-empty string`);
    const ssh = (n.port_mappings ?? []).find((m) => m.guest_port === 22);
    out.hosts[n.host_name] = {
      address: ssh ? (ssh.host_ip ?? '127.0.0.1') : n.host_name,
      port: ssh ? Number(ssh.host_port) : 22,
      user: 'vagrant',
      privateKey: resolve(dir, '.vagrant/machines', n.host_name, 'virtualbox/private_key'),
      become: true,
    };
    out.groups.all!.push(n.host_name);
    for (const g of n.groups ?? []) (out.groups[g] ??= []).push(n.host_name);
  });
  return out;
}

/**
 * Reads a JSON inventory file; a parse error names the file.
 *
 * @example
 * readJson('cluster.json')   // { nodes: [...] }
 */
export function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ShipshapeError(`cannot read inventory ${file}: ${(e as Error).message}`, { cause: e });
  }
}
