import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { VerificationError } from '../lib/errors';
import { BlockBitmap, blockLength } from './block-bitmap';
import { PartialDownload } from './partial-download';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function fixture(size = 10_000, blockSize = 1024) {
  const dir = await mkdtemp(join(tmpdir(), 'partial-'));
  dirs.push(dir);
  const bytes = Buffer.from(Array.from({ length: size }, (_, i) => (i * 31) & 0xff));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const ref = { sha256, size, blockSize };
  const paths = { data: join(dir, 'p', `${sha256}.part`), meta: join(dir, 'p', `${sha256}.json`) };
  const block = (i: number) => bytes.subarray(i * blockSize, i * blockSize + blockLength(i, size, blockSize));
  return { dir, bytes, ref, paths, block };
}

describe('BlockBitmap', () => {
  it('counts, lists missing blocks and round-trips through base64', () => {
    const b = new BlockBitmap(13);
    assert.equal(b.set(0), true);
    assert.equal(b.set(12), true);
    assert.equal(b.set(12), false, 'duplicate');
    assert.equal(b.count, 2);
    assert.deepEqual(b.missing(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const c = BlockBitmap.fromBase64(13, b.toBase64());
    assert.equal(c.count, 2);
    assert.ok(c.has(12) && !c.has(11));
    assert.throws(() => b.set(13), RangeError);
  });

  it('ignores stray bits past the last block', () => {
    const b = new BlockBitmap(3, Uint8Array.of(0xff));
    assert.equal(b.count, 3);
    assert.equal(b.complete, true);
  });

  it('knows the short last block', () => {
    assert.equal(blockLength(9, 10_000, 1024), 10_000 - 9 * 1024);
    assert.equal(blockLength(0, 10_000, 1024), 1024);
  });
});

describe('PartialDownload', () => {
  it('resumes after a restart with only the missing blocks', async () => {
    const f = await fixture();
    const a = await PartialDownload.open(f.ref, f.paths);
    for (const i of [0, 3, 9]) assert.equal(await a.writeBlock(i, f.block(i)), 'written');
    await a.close();
    const b = await PartialDownload.open(f.ref, f.paths);
    assert.deepEqual(b.bitmap.missing(), [1, 2, 4, 5, 6, 7, 8]);
    for (const i of b.bitmap.missing()) await b.writeBlock(i, f.block(i));
    assert.equal(await b.writeBlock(3, f.block(3)), 'duplicate');
    const target = join(f.dir, 'objects', f.ref.sha256);
    await b.verifyAndCommit(target);
    assert.ok((await readFile(target)).equals(f.bytes));
    await assert.rejects(stat(f.paths.meta), /ENOENT/);
  });

  it('refuses blocks of the wrong length', async () => {
    const f = await fixture();
    const p = await PartialDownload.open(f.ref, f.paths);
    assert.equal(await p.writeBlock(0, f.block(0).subarray(1)), 'refused');
    assert.equal(await p.writeBlock(99, f.block(0)), 'refused');
    assert.equal(p.bitmap.count, 0);
    await p.close();
  });

  it('never holds more bytes than the manifest says, whatever the sender pushes (endless data)', async () => {
    const f = await fixture(10_000, 1024);
    const p = await PartialDownload.open(f.ref, f.paths);
    const last = Math.ceil(10_000 / 1024) - 1;
    assert.equal(await p.writeBlock(last, Buffer.alloc(1024, 7)), 'refused', 'a full-size last block would run past the end');
    assert.equal(await p.writeBlock(last + 1, Buffer.alloc(1024)), 'refused');
    assert.equal(await p.writeBlock(1_000_000, Buffer.alloc(1024)), 'refused');
    assert.equal(await p.writeBlock(0, Buffer.alloc(4096)), 'refused');
    await p.close();
    assert.equal((await stat(f.paths.data)).size, 10_000);
  });

  it('starts over when the stored bitmap belongs to another manifest', async () => {
    const f = await fixture();
    const a = await PartialDownload.open(f.ref, f.paths);
    await a.writeBlock(0, f.block(0));
    await a.close();
    const b = await PartialDownload.open({ ...f.ref, blockSize: 2048 }, f.paths);
    assert.equal(b.bitmap.count, 0);
    await b.close();
  });

  it('deletes the bytes and throws VerificationError when the hash does not match', async () => {
    const f = await fixture();
    const p = await PartialDownload.open(f.ref, f.paths);
    for (let i = 0; i < p.bitmap.total; i++) {
      const blk = Buffer.from(f.block(i));
      if (i === 4) blk[7] ^= 1;
      await p.writeBlock(i, blk);
    }
    await assert.rejects(p.verifyAndCommit(join(f.dir, 'objects', f.ref.sha256)), VerificationError);
    await assert.rejects(stat(f.paths.data), /ENOENT/);
    await assert.rejects(stat(join(f.dir, 'objects', f.ref.sha256)), /ENOENT/);
  });
});
