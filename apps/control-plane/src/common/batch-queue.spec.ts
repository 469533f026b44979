import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BatchQueue } from './batch-queue';

describe('BatchQueue', () => {
  it('writes an item alone when idle, and what arrived meanwhile as one batch, in arrival order', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const gc = new BatchQueue<number, number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await gate;
      return items.map((i) => i * 10);
    });
    const first = gc.submit(1);
    const rest = [2, 3, 4].map((i) => gc.submit(i));
    release();
    assert.deepEqual(await Promise.all([first, ...rest]), [10, 20, 30, 40]);
    assert.deepEqual(batches, [[1], [2, 3, 4]]);
  });

  it('an Error answer fails that item alone; a throwing write fails its whole batch and the next batch still runs', async () => {
    let calls = 0;
    const gc = new BatchQueue<string, string>(async (items) => {
      calls++;
      await new Promise((r) => setImmediate(r));
      if (items.includes('boom')) throw new Error('rolled back');
      return items.map((s) => (s === 'bad' ? new Error(`refused ${s}`) : s.toUpperCase()));
    });
    const settled = (ps: Array<Promise<string>>) => Promise.allSettled(ps).then((rs) => rs.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)));
    // The first item of each group is written alone (the queue was idle); the rest arrive while it is written.
    assert.deepEqual(await settled([gc.submit('first'), gc.submit('a'), gc.submit('bad'), gc.submit('c')]), ['FIRST', 'A', 'refused bad', 'C']);
    assert.deepEqual(await settled([gc.submit('first'), gc.submit('x'), gc.submit('boom')]), ['FIRST', 'rolled back', 'rolled back']);
    assert.equal(await gc.submit('after'), 'AFTER');
    assert.ok(calls >= 4);
  });

  it('splits a backlog into batches of at most maxBatch', async () => {
    const sizes: number[] = [];
    const gc = new BatchQueue<number, void>(async (items) => { sizes.push(items.length); await new Promise((r) => setTimeout(r, 5)); return items.map(() => undefined); }, 3);
    await Promise.all(Array.from({ length: 8 }, (_, i) => gc.submit(i)));
    assert.deepEqual(sizes, [1, 3, 3, 1]);
  });
});
