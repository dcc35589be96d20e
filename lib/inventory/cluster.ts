import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ShipshapeError } from '../errors.js';
import type { HostOptions, InventoryData } from './types.js';
import { checkLine, checkName, checkPort, isObject, Problems, sub } from './validate.js';

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
 * as `vagrant` with the key Vagrant (or `shipshape lab`) wrote next to the file. Every
 * malformed field is named in one error (`cluster.json: nodes[1].host_name must be a string`).
 *
 * @example
 * loadClusterJson('cluster.json', readJson('cluster.json'))
 */
export function loadClusterJson(file: string, data: unknown): InventoryData {
  const p = new Problems(file);
  const nodes = isObject(data) ? data.nodes : undefined;
  if (!Array.isArray(nodes)) {
    p.add(isObject(data) ? 'nodes' : 'the top level', isObject(data) ? 'must be a list of nodes' : 'must be an object with "nodes"', isObject(data) ? nodes : data);
    p.throwIfAny(FIX);
  }
  const dir = dirname(resolve(file));
  const hosts: Record<string, HostOptions> = Object.create(null);
  const groups: Record<string, string[]> = Object.create(null);
  groups.all = [];
  const seen = new Map<string, number>();
  (nodes as unknown[]).forEach((n, i) => {
    const at = sub('nodes', i);
    if (!isObject(n)) { p.add(at, 'must be an object with host_name', n); return; }
    const name = n.host_name;
    if (!checkName(p, sub(at, 'host_name'), name)) return;
    if (seen.has(name)) { p.add(sub(at, 'host_name'), `is also nodes[${seen.get(name)}].host_name`, name); return; }
    seen.set(name, i);
    let ssh: { port: number; ip: string } | undefined;
    if (n.port_mappings !== undefined) {
      if (!Array.isArray(n.port_mappings)) p.add(sub(at, 'port_mappings'), 'must be a list of { guest_port, host_port, host_ip }', n.port_mappings);
      else n.port_mappings.forEach((m: unknown, j: number) => {
        const mat = sub(sub(at, 'port_mappings'), j);
        if (!isObject(m)) { p.add(mat, 'must be an object { guest_port, host_port, host_ip }', m); return; }
        const guest = checkPort(p, sub(mat, 'guest_port'), m.guest_port);
        const host = checkPort(p, sub(mat, 'host_port'), m.host_port);
        const ip = m.host_ip === undefined ? '127.0.0.1' : checkLine(p, sub(mat, 'host_ip'), m.host_ip, true) ? m.host_ip : undefined;
        if (guest === 22 && host !== undefined && ip !== undefined) ssh ??= { port: host, ip };
      });
    }
    if (n.network_configs !== undefined && !(Array.isArray(n.network_configs) && n.network_configs.every(isObject))) {
      p.add(sub(at, 'network_configs'), 'must be a list of objects', n.network_configs);
    }
    const member: string[] = [];
    if (n.groups !== undefined) {
      if (!Array.isArray(n.groups)) p.add(sub(at, 'groups'), 'must be a list of group names', n.groups);
      else n.groups.forEach((g: unknown, j: number) => { if (checkName(p, sub(sub(at, 'groups'), j), g)) member.push(g); });
    }
    hosts[name] = {
      address: ssh ? ssh.ip : name,
      port: ssh ? ssh.port : 22,
      user: 'vagrant',
      privateKey: resolve(dir, '.vagrant/machines', name, 'virtualbox/private_key'),
      become: true,
    };
    groups.all!.push(name);
    for (const g of member) (groups[g] ??= []).push(name);
  });
  p.throwIfAny(FIX);
  return { hosts, groups };
}

const FIX = 'see the seed\'s cluster.json: { "nodes": [{ "host_name": "web-01", "port_mappings": [{ "guest_port": 22, "host_port": 22003, "host_ip": "127.0.0.1" }] }] }';

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
