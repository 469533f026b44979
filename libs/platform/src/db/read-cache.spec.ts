import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TableChanges } from '@edgefleet/db';
import { ReadCache } from './read-cache';

/** A load that counts its calls and resolves when told to. */
function loader<T>(value: T) {
  const calls: Array<() => void> = [];
  return {
    calls,
    load: () => new Promise<T>((resolve) => calls.push(() => resolve(value))),
    finishAll: () => calls.splice(0).forEach((f) => f()),
  };
}

test('a read is served from memory until one of its tables changes; other tables do not matter', async () => {
  const changes = new TableChanges(true);
  const cache = new ReadCache({ changes });
  let loads = 0;
  const read = () => cache.read(['Device'], 'k', async () => ++loads);
  assert.equal(await read(), 1);
  assert.equal(await read(), 1);
  changes.markChanged(['Job']);
  assert.equal(await read(), 1);
  changes.markChanged(['Device']);
  assert.equal(await read(), 2);
  changes.markAllChanged();
  assert.equal(await read(), 3);
});

test('concurrent misses share one load; a change during the load answers it but does not keep it', async () => {
  const changes = new TableChanges(true);
  const cache = new ReadCache({ changes });
  const l = loader('old');
  const first = cache.read(['Device'], 'k', l.load);
  const second = cache.read(['Device'], 'k', l.load);
  assert.equal(l.calls.length, 1);
  changes.markChanged(['Device']); // committed while the read was in flight: what it read may predate it
  l.finishAll();
  assert.deepEqual(await Promise.all([first, second]), ['old', 'old']);
  const after = loader('new');
  const third = cache.read(['Device'], 'k', after.load);
  assert.equal(after.calls.length, 1, 'not kept: read again');
  after.finishAll();
  assert.equal(await third, 'new');
});

test('a failed load is not kept, and nothing is cached while remote changes could go unseen', async () => {
  const changes = new TableChanges(false);
  const cache = new ReadCache({ changes });
  let loads = 0;
  await cache.read(['Device'], 'k', async () => ++loads);
  await cache.read(['Device'], 'k', async () => ++loads);
  assert.equal(loads, 2, 'listener down: every read goes to the database');
  changes.setRemoteListener(true);
  await assert.rejects(cache.read(['Device'], 'k', () => Promise.reject(new Error('boom'))), /boom/);
  assert.equal(await cache.read(['Device'], 'k', async () => ++loads), 3);
  assert.equal(await cache.read(['Device'], 'k', async () => ++loads), 3);
});
