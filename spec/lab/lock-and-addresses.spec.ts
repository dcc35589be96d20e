import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allocateAddresses, macFor } from '../../lib/lab/network.js';
import { withLock } from '../../lib/lab/lock.js';

test('takes over a lock file left by a process that is gone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-lock-'));
  try {
    const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
    writeFileSync(join(dir, 'lock'), `${dead} 12345\n`);
    const got = await withLock(join(dir, 'lock'), async () => 'ran', { waitMs: 2000 });
    assert.is(got, 'ran');
    assert.not.ok(existsSync(join(dir, 'lock')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runs callers of one process one at a time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-lock-'));
  try {
    const order: string[] = [];
    const job = (name: string) => withLock(join(dir, 'lock'), async () => {
      order.push(`${name} in`);
      await new Promise((r) => setTimeout(r, 30));
      order.push(`${name} out`);
    });
    await Promise.all([job('a'), job('b')]);
    assert.equal(order, ['a in', 'a out', 'b in', 'b out']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gives node i the address 10.77.0.(11+i) unless another cluster holds it', () => {
  const got = allocateAddresses(['a', 'b', 'c'], new Set(['10.77.0.12']));
  assert.equal([...got], [['a', '10.77.0.11'], ['b', '10.77.0.13'], ['c', '10.77.0.14']]);
});

test('derives each host\'s MAC from its address, so stale ARP entries stay right', () => {
  assert.is(macFor('10.77.0.11'), '02:77:00:00:00:0b');
  assert.is(macFor('10.77.0.254'), '02:77:00:00:00:fe');
});

test.run();
