import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkCache } from './chunk-cache';

describe('ChunkCache', () => {
  it('loads a key once for concurrent callers and evicts the least recently used past its byte bound', async () => {
    const cache = new ChunkCache(20);
    let loads = 0;
    const load = (n: number) => async () => {
      loads++;
      return Buffer.alloc(n);
    };
    await Promise.all([cache.get('a', load(10)), cache.get('a', load(10))]);
    assert.equal(loads, 1);
    await cache.get('b', load(10));
    await cache.get('a', load(10)); // a is now the most recent
    await cache.get('c', load(10)); // over 20 bytes: b goes
    assert.equal(cache.bytes, 20);
    await cache.get('a', load(10));
    assert.equal(loads, 3);
    await cache.get('b', load(10));
    assert.equal(loads, 4);
  });

  it('does not keep a failed load', async () => {
    const cache = new ChunkCache(100);
    await assert.rejects(cache.get('x', async () => { throw new Error('disk'); }));
    assert.equal((await cache.get('x', async () => Buffer.from('ok'))).toString(), 'ok');
  });
});
