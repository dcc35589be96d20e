import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Semaphore } from '../../lib/transport/semaphore.js';
import { rejects } from './helpers.js';

test('never lets more than its size hold a slot, and serves waiters in order', async () => {
  const s = new Semaphore(3);
  let now = 0;
  let peak = 0;
  const order: number[] = [];
  await Promise.all(Array.from({ length: 10 }, async (_, i) => {
    const release = await s.acquire();
    order.push(i);
    peak = Math.max(peak, ++now);
    await new Promise((r) => setTimeout(r, 5));
    now--;
    release();
    release();
  }));
  assert.is(peak, 3);
  assert.equal(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.is(s.inUse, 0);
});

test('rejects waiters and later callers once failed', async () => {
  const s = new Semaphore(1);
  const first = await s.acquire();
  const waiting = rejects(s.acquire(), /gone/);
  s.fail(new Error('gone'));
  await waiting;
  await rejects(s.acquire(), /gone/);
  first();
});

test.run();
