import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FairQueue, RateLimiter } from './fair-queue';

test('round-robin: a key with 1000 queued items does not delay another key by more than one item', () => {
  const q = new FairQueue<number>();
  for (let i = 0; i < 1000; i++) q.push('flood', i);
  q.push('fair', 0);
  q.push('fair', 1);
  const order = Array.from({ length: 5 }, () => q.next()!.key);
  assert.deepEqual(order, ['flood', 'fair', 'flood', 'fair', 'flood']);
  assert.equal(q.size('fair'), 0);
  assert.equal(q.remove('flood', (i) => i % 2 === 0).length, 498);
  assert.equal(q.size('flood'), 499);
});

test('token bucket: a burst, then the refill rate', () => {
  let now = 0;
  const r = new RateLimiter(3, 2, () => now);
  assert.deepEqual([r.take('a'), r.take('a'), r.take('a'), r.take('a')], [true, true, true, false]);
  assert.equal(r.take('b'), true);
  now = 500;
  assert.deepEqual([r.take('a'), r.take('a')], [true, false]);
});
