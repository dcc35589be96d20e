// withLab (spec/support/lab.ts), the helper the e2e tests use. Needs root. Port 22131.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ClusterState } from '../../lib/lab/state.js';
import { labLeftovers, labState, ssh, withLab } from '../support/lab.js';

const cluster = { nodes: [{ host_name: 'with-01', port_mappings: [{ guest_port: 22, host_port: 22131, host_ip: '127.0.0.1' }] }] };

test('brings a cluster object up for the callback and tears it down after', async () => {
  let state: ClusterState | undefined;
  let file = '';
  const name = await withLab(cluster, async (hosts, clusterFile) => {
    file = clusterFile;
    state = labState(clusterFile);
    return (await ssh(hosts[0]!, 'hostname', { via: 'forward' })).stdout.trim();
  });
  assert.is(name, 'with-01');
  assert.ok(state);
  assert.equal(await labLeftovers(state!), []);
  assert.not.ok(existsSync(dirname(file)), 'the temp dir is gone');
});

test('tears the lab down when the callback throws', async () => {
  let state: ClusterState | undefined;
  try {
    await withLab(cluster, async (_hosts, clusterFile) => {
      state = labState(clusterFile);
      throw new Error('boom');
    });
    assert.unreachable('should throw');
  } catch (e) {
    assert.is((e as Error).message, 'boom');
  }
  assert.equal(await labLeftovers(state!), []);
});

test.run();
