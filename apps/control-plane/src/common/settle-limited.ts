/**
 * `Promise.allSettled(items.map(fn))` with at most `limit` calls running: a sliding window, each next call starting as
 * soon as any finishes — not batches of `limit` that each wait for their slowest member. (Ten lines; not worth a
 * dependency: p-limit is ESM-only in its current versions.)
 */
export async function settleLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<Array<PromiseSettledResult<R>>> {
  const results = new Array<PromiseSettledResult<R>>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i]!) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
