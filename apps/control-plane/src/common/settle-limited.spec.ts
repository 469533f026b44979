import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { settleLimited } from './settle-limited';

void describe('settleLimited', () => {
  void it('keeps `limit` calls running, starts the next as soon as one finishes, and answers in order', async () => {
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const release = new Map<number, () => void>();
    const p = settleLimited([0, 1, 2, 3, 4], 2, (i) => {
      started.push(i);
      running++;
      peak = Math.max(peak, running);
      return new Promise<number>((resolve, reject) => release.set(i, () => {
        running--;
        if (i === 3) reject(new Error('three'));
        else resolve(i * 10);
      }));
    });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1]);
    // The second finishing first frees a slot at once: no waiting for the first (a batch barrier would).
    release.get(1)!();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1, 2]);
    for (const i of [0, 2, 3, 4]) {
      await new Promise((r) => setImmediate(r));
      release.get(i)!();
    }
    const results = await p;
    assert.equal(peak, 2);
    assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)), [0, 10, 20, 'three', 40]);
  });

  void it('handles no items', async () => {
    assert.deepEqual(await settleLimited([], 4, async () => 1), []);
  });
});
