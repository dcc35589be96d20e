import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ShipshapeError } from '../../lib/errors.js';
import { parseCluster, readCluster } from '../../lib/lab/cluster.js';

// The seed tutorial's cluster.json, as shipped in examples/.
const seed = JSON.parse(readFileSync(new URL('../../examples/cluster.json', import.meta.url), 'utf8'));

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.instance(e, ShipshapeError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

test('reads the seed\'s cluster.json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-cluster-'));
  try {
    writeFileSync(join(dir, 'cluster.json'), JSON.stringify(seed));
    const nodes = readCluster(join(dir, 'cluster.json'));
    assert.is(nodes.length, 1);
    assert.is(nodes[0]!.host_name, 'web-01');
    assert.equal(nodes[0]!.port_mappings[2], { guest_port: 22, host_port: 22003, host_ip: '127.0.0.1' });
    assert.equal(nodes[0]!.network_configs, [{ ip: '192.167.32.3', name: 'vboxnet0', adapter: 2 }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('names the file when it is missing or not JSON', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-cluster-'));
  try {
    assert.match(message(() => readCluster(join(dir, 'nope.json'))), `cannot read ${join(dir, 'nope.json')}`);
    writeFileSync(join(dir, 'bad.json'), '{ "nodes": [');
    assert.match(message(() => readCluster(join(dir, 'bad.json'))), `${join(dir, 'bad.json')} is not valid JSON`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('names the file and field of a bad port', () => {
  const bad = structuredClone(seed);
  (bad.nodes[0]!.port_mappings[1] as { host_port: unknown }).host_port = '5000';
  assert.is(message(() => parseCluster(bad, 'x/cluster.json')),
    'x/cluster.json: nodes[0].port_mappings[1].host_port must be an integer 1-65535 (got "5000")');
});

test('rejects a missing node list, a bad host name and duplicate host names', () => {
  assert.match(message(() => parseCluster({}, 'c.json')), 'c.json: nodes must be a non-empty array');
  assert.match(message(() => parseCluster({ nodes: [{ host_name: 'web_01' }] }, 'c.json')), 'c.json: nodes[0].host_name must be a host name');
  assert.match(message(() => parseCluster({ nodes: [{ host_name: 'a' }, { host_name: 'a' }] }, 'c.json')), 'nodes[1].host_name is used by two nodes');
});

test('rejects two nodes forwarding the same host port', () => {
  const twice = { nodes: [
    { host_name: 'a', port_mappings: [{ guest_port: 22, host_port: 22003, host_ip: '127.0.0.1' }] },
    { host_name: 'b', port_mappings: [{ guest_port: 22, host_port: 22003, host_ip: '0.0.0.0' }] },
  ] };
  assert.match(message(() => parseCluster(twice, 'c.json')), 'nodes[1].port_mappings[0].host_port is already forwarded by nodes[0].port_mappings[0]');
});

test('defaults missing port_mappings, network_configs and host_ip', () => {
  const nodes = parseCluster({ nodes: [{ host_name: 'db', port_mappings: [{ guest_port: 22, host_port: 2201 }] }] });
  assert.equal(nodes, [{ host_name: 'db', port_mappings: [{ guest_port: 22, host_port: 2201, host_ip: '127.0.0.1' }], network_configs: [] }]);
});

test.run();
