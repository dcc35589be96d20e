/** The seed's `cluster.json` (the file its Vagrantfile reads), read and validated. */
import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { ShipshapeError } from '../errors.js';

/** One `port_mappings` entry: `host_ip:host_port` on the controller reaches `guest_port` on the node. */
export interface PortMapping {
  guest_port: number;
  host_port: number;
  host_ip: string;
}

/** One `network_configs` entry (a VirtualBox private network). The lab reads it but uses its own addresses. */
export interface NetworkConfig {
  ip: string;
  name?: string;
  adapter?: number;
}

/** One node of `cluster.json`. */
export interface ClusterNode {
  host_name: string;
  port_mappings: PortMapping[];
  network_configs: NetworkConfig[];
}

const HOST_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * Reads a `cluster.json` in the seed's format (`{ "nodes": [{ host_name, port_mappings, network_configs }] }`)
 * and validates it; every error names the file and the field.
 *
 * @example
 * const nodes = readCluster('cluster.json');
 * nodes[0].host_name   // 'web-01'
 */
export function readCluster(clusterFile: string): ClusterNode[] {
  let text: string;
  try {
    text = readFileSync(clusterFile, 'utf8');
  } catch (e) {
    throw new ShipshapeError(`cannot read ${clusterFile}: ${(e as Error).message}`, {
      cause: e, fix: 'pass the path of a cluster.json (the file the seed\'s Vagrantfile reads)',
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ShipshapeError(`${clusterFile} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  return parseCluster(data, clusterFile);
}

/**
 * Validates an already parsed cluster object; `source` names it in errors.
 *
 * @example
 * parseCluster({ nodes: [{ host_name: 'db-01', port_mappings: [{ guest_port: 22, host_port: 2201 }] }] }, 'inline')
 * // [{ host_name: 'db-01', port_mappings: [{ guest_port: 22, host_port: 2201, host_ip: '127.0.0.1' }], network_configs: [] }]
 */
export function parseCluster(data: unknown, source = 'cluster.json'): ClusterNode[] {
  const fail = (field: string, problem: string, got?: unknown): never => {
    const shown = got === undefined ? '' : ` (got ${JSON.stringify(got)})`;
    throw new ShipshapeError(`${source}: ${field} ${problem}${shown}`, {
      fix: 'see the seed\'s cluster.json: { "nodes": [{ "host_name": "web-01", "port_mappings": [{ "guest_port": 80, "host_port": 8080, "host_ip": "127.0.0.1" }], "network_configs": [] }] }',
    });
  };
  if (!isObject(data)) return fail('the top level', 'must be an object with "nodes"', typeof data);
  const nodes = data.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) return fail('nodes', 'must be a non-empty array', nodes);
  if (nodes.length > 240) return fail('nodes', 'has more than 240 entries (the lab has one /24 for all hosts)', nodes.length);
  const names = new Set<string>();
  const bound: { ip: string; port: number; at: string }[] = [];
  return nodes.map((node: unknown, i: number): ClusterNode => {
    const at = `nodes[${i}]`;
    if (!isObject(node)) return fail(at, 'must be an object', node);
    const name = node.host_name;
    if (typeof name !== 'string' || !HOST_NAME.test(name)) {
      return fail(`${at}.host_name`, 'must be a host name (letters, digits, "-", at most 63 characters)', name);
    }
    if (names.has(name)) return fail(`${at}.host_name`, 'is used by two nodes', name);
    names.add(name);
    const maps = node.port_mappings ?? [];
    if (!Array.isArray(maps)) return fail(`${at}.port_mappings`, 'must be an array', maps);
    const port_mappings = maps.map((m: unknown, j: number): PortMapping => {
      const mat = `${at}.port_mappings[${j}]`;
      if (!isObject(m)) return fail(mat, 'must be an object', m);
      const guest_port = port(m.guest_port) ?? fail(`${mat}.guest_port`, 'must be an integer 1-65535', m.guest_port);
      const host_port = port(m.host_port) ?? fail(`${mat}.host_port`, 'must be an integer 1-65535', m.host_port);
      const host_ip = m.host_ip ?? '127.0.0.1';
      if (typeof host_ip !== 'string' || !isIPv4(host_ip)) return fail(`${mat}.host_ip`, 'must be an IPv4 address', host_ip);
      const other = bound.find((b) => b.port === host_port && (b.ip === host_ip || b.ip === '0.0.0.0' || host_ip === '0.0.0.0'));
      if (other) return fail(`${mat}.host_port`, `is already forwarded by ${other.at}`, host_port);
      bound.push({ ip: host_ip, port: host_port, at: mat });
      return { guest_port, host_port, host_ip };
    });
    const nets = node.network_configs ?? [];
    if (!Array.isArray(nets)) return fail(`${at}.network_configs`, 'must be an array', nets);
    const network_configs = nets.map((n: unknown, j: number): NetworkConfig => {
      const nat = `${at}.network_configs[${j}]`;
      if (!isObject(n)) return fail(nat, 'must be an object', n);
      if (typeof n.ip !== 'string' || !isIPv4(n.ip)) return fail(`${nat}.ip`, 'must be an IPv4 address', n.ip);
      if (n.name !== undefined && typeof n.name !== 'string') return fail(`${nat}.name`, 'must be a string', n.name);
      if (n.adapter !== undefined && !Number.isInteger(n.adapter)) return fail(`${nat}.adapter`, 'must be an integer', n.adapter);
      return { ip: n.ip, ...(n.name === undefined ? {} : { name: n.name as string }), ...(n.adapter === undefined ? {} : { adapter: n.adapter as number }) };
    });
    return { host_name: name, port_mappings, network_configs };
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function port(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535 ? v : undefined;
}
