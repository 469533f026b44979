import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ByteBudget } from './byte-budget';

describe('ByteBudget', () => {
  it('makes a request wait until enough bytes are released, in arrival order', async () => {
    const budget = new ByteBudget(100);
    await budget.acquire(60);
    const order: string[] = [];
    const big = budget.acquire(80).then(() => order.push('big'));
    const small = budget.acquire(10).then(() => order.push('small'));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, [], 'small must not overtake the waiting big request');
    assert.equal(budget.waiting, 2);
    budget.release(60);
    await Promise.all([big, small]);
    assert.deepEqual(order, ['big', 'small']);
    assert.equal(budget.inUse, 90);
  });

  it('clamps a request larger than the capacity so it still runs', async () => {
    const budget = new ByteBudget(10);
    assert.equal(await budget.acquire(50), 10);
    assert.equal(budget.inUse, 10);
  });
});
