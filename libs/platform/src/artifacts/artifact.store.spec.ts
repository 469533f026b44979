import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AppConfig } from '../config/app-config';
import { PayloadTooLargeError } from '../common/errors';
import { ArtifactStore } from './artifact.store';

let dir: string;
let store: ArtifactStore;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgefleet-store-'));
  store = new ArtifactStore(AppConfig.fromEnv({ DATA_DIR: dir }));
});
after(() => rm(dir, { recursive: true, force: true }));

const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
const sha = createHash('sha256').update(bytes).digest('hex');

test('put stores by sha256; size, read (ranges, short at the end) and get return the content', async () => {
  assert.deepEqual(await store.put(bytes), { sha256: sha, size: 5000 });
  assert.equal(store.pathOf(sha), join(dir, 'artifacts', sha.slice(0, 2), sha));
  assert.equal(await store.size(sha), 5000);
  assert.deepEqual(await store.read(sha, 1000, 10), bytes.subarray(1000, 1010));
  assert.equal((await store.read(sha, 4990, 100)).length, 10);
  assert.deepEqual(await store.get(sha), bytes);
  assert.equal(await store.size('0'.repeat(64)), undefined);
  assert.throws(() => store.pathOf('../etc/passwd'), /not a sha256/);
});

test('stage hashes while streaming; commit places the file, discard removes it', async () => {
  const other = Buffer.from('staged content');
  const staged = await store.stage(Readable.from([other.subarray(0, 5), other.subarray(5)]), 1024);
  assert.equal(staged.sha256, createHash('sha256').update(other).digest('hex'));
  assert.equal(staged.size, other.length);
  assert.equal(await store.size(staged.sha256), undefined, 'not visible before commit');
  await staged.commit();
  assert.deepEqual(await store.get(staged.sha256), other);

  const dropped = await store.stage(Readable.from([Buffer.from('nope')]), 1024);
  await dropped.discard();
  assert.equal(await store.size(dropped.sha256), undefined);
  assert.deepEqual(await readdir(join(dir, 'artifacts', 'tmp')), [], 'no temporary file left');
});

test('stage refuses more than maxBytes and leaves nothing behind', async () => {
  await assert.rejects(store.stage(Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), 1000), PayloadTooLargeError);
  assert.deepEqual(await readdir(join(dir, 'artifacts', 'tmp')), []);
});
