/**
 * ARTIFACT_STORE=database on a real PGlite: two stores on one database, each with its own empty cache directory,
 * stand for two replicas on different machines. Nothing is mocked.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openDatabase, type Database } from '@edgefleet/db';
import { UnitOfWork } from '../db/unit-of-work';
import { ArtifactBlobRepository } from './artifact-blob.repository';
import { LocalArtifactStore } from './artifact.store';
import { ARTIFACT_CHUNK_BYTES, DatabaseArtifactStore } from './database-artifact.store';

let dir: string;
let db: Database;
const replica = (name: string) =>
  new DatabaseArtifactStore(new ArtifactBlobRepository(db.prisma), new UnitOfWork(db.prisma), new LocalArtifactStore(join(dir, name)));

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgefleet-dbstore-'));
  db = await openDatabase({ dataDir: dir });
});
after(async () => {
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});

/** 2.5 chunks of a pattern that differs per chunk, so a range stitched from the wrong chunk shows. */
const bytes = Buffer.from(Array.from({ length: Math.floor(ARTIFACT_CHUNK_BYTES * 2.5) }, (_, i) => (i * 7 + (i >> 20)) % 256));
const sha = createHash('sha256').update(bytes).digest('hex');

test('an object put by one replica is read by another with an empty disk: size, ranges across chunks, whole', async () => {
  const a = replica('a');
  const b = replica('b');
  assert.deepEqual(await a.put(bytes), { sha256: sha, size: bytes.length });
  assert.equal((await db.prisma.artifactChunk.count({ where: { sha256: sha } })), 3);
  assert.equal(await b.size(sha), bytes.length);
  const at = ARTIFACT_CHUNK_BYTES - 10;
  assert.deepEqual(await b.read(sha, at, 20), bytes.subarray(at, at + 20), 'a range across the first chunk boundary');
  assert.equal((await b.read(sha, bytes.length - 5, 100)).length, 5, 'short at the end');
  assert.deepEqual(await b.get(sha), bytes);
  assert.deepEqual(await readdir(join(dir, 'b', sha.slice(0, 2))), [sha], 'b now reads its cached copy');
  const streamed: Buffer[] = [];
  for await (const c of await replica('c').stream(sha)) streamed.push(c as Buffer);
  assert.deepEqual(Buffer.concat(streamed), bytes);
  assert.equal(await b.size('0'.repeat(64)), undefined);
  await assert.rejects(b.read('0'.repeat(64), 0, 1), /not stored/);
});

test('stage + commit stores the upload for every replica; discard stores nothing; an empty object round-trips', async () => {
  const a = replica('a');
  const content = Buffer.from('staged on a, read on d');
  const staged = await a.stage(Readable.from([content.subarray(0, 4), content.subarray(4)]), 1024);
  assert.equal(await replica('d').size(staged.sha256), undefined, 'not visible before commit');
  await staged.commit();
  assert.deepEqual(await replica('d').get(staged.sha256), content);

  const dropped = await a.stage(Readable.from([Buffer.from('never committed')]), 1024);
  await dropped.discard();
  assert.equal(await replica('e').size(dropped.sha256), undefined);

  const empty = await a.put(Buffer.alloc(0));
  assert.deepEqual(await replica('f').get(empty.sha256), Buffer.alloc(0));
});

test('two replicas putting the same content at once store it once', async () => {
  const content = Buffer.alloc(ARTIFACT_CHUNK_BYTES + 3, 9);
  const [x, y] = await Promise.all([replica('g').put(content), replica('h').put(content)]);
  assert.equal(x.sha256, y.sha256);
  assert.equal(await db.prisma.artifactBlob.count({ where: { sha256: x.sha256 } }), 1);
  assert.equal(await db.prisma.artifactChunk.count({ where: { sha256: x.sha256 } }), 2);
});

test('a chunk changed in the database is refused when copied, not served', async () => {
  const content = Buffer.from('content that someone will tamper with');
  const { sha256 } = await replica('i').put(content);
  await db.prisma.artifactChunk.update({ where: { sha256_index: { sha256, index: 0 } }, data: { data: Buffer.from('tampered') } });
  await assert.rejects(replica('j').get(sha256), /does not match its hash/);
  assert.deepEqual(await readdir(join(dir, 'j', 'tmp')), [], 'no partial copy left');
});
