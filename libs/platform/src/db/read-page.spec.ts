import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readPage } from './read-page';

/** A table of n rows; records how often it was counted. */
function table(n: number) {
  const rows = Array.from({ length: n }, (_, i) => i);
  const calls = { count: 0 };
  return {
    calls,
    read: (page: { limit: number; offset: number }) =>
      readPage(page, async (take) => rows.slice(page.offset, page.offset + take), async () => (calls.count++, n)),
  };
}

test('readPage counts only when there is a next page, and the totals are always right', async () => {
  for (const n of [0, 1, 49, 50, 51, 120]) {
    for (const page of [{ limit: 50, offset: 0 }, { limit: 50, offset: 50 }, { limit: 50, offset: 100 }, { limit: 50, offset: 500 }]) {
      const t = table(n);
      const { items, total } = await t.read(page);
      assert.equal(total, n, `n=${n} offset=${page.offset}`);
      assert.deepEqual(items, Array.from({ length: Math.max(0, Math.min(page.limit, n - page.offset)) }, (_, i) => page.offset + i));
      const lastPage = n - page.offset <= page.limit && (n > page.offset || page.offset === 0);
      assert.equal(t.calls.count, lastPage ? 0 : 1, `n=${n} offset=${page.offset}: counted only past the last page`);
    }
  }
});
