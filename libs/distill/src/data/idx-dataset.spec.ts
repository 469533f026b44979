import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DatasetError } from './dataset-error';
import { decodeIdx, encodeIdx } from './idx';
import { IDX_FILES, readIdxDataset, writeIdxDataset } from './idx-dataset';
import { tinyImages, withTempDir } from './test-factory';

const split = () => ({ train: tinyImages(7), test: tinyImages(4) });

for (const gzip of [false, true]) {
  test(`IDX round trip (${gzip ? 'gzip' : 'plain'}) keeps pixels, labels and shape`, () =>
    withTempDir(async (dir) => {
      const files = await writeIdxDataset(dir, split(), { gzip });
      assert.equal(files.every((f) => f.endsWith('.gz')), gzip);
      const back = await readIdxDataset(dir);
      const orig = split();
      assert.deepEqual(back.train.sampleShape, [1, 3, 2]);
      assert.equal(back.train.n, 7);
      assert.equal(back.test.n, 4);
      assert.equal(back.train.numClasses, 3);
      assert.deepEqual(back.train.y, orig.train.y);
      assert.deepEqual(back.test.x, orig.test.x);
      assert.deepEqual(back.train.x, orig.train.x);
    }));
}

test('IDX header is the MNIST one: magic 0x00000803, big-endian dims', () => {
  const bytes = encodeIdx({ dims: [2, 1, 3], data: new Uint8Array(6) });
  assert.deepEqual([...bytes.subarray(0, 16)], [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 3]);
  assert.deepEqual(decodeIdx(bytes, 'x', 3).dims, [2, 1, 3]);
});

/** Writes a valid folder, lets `spoil` damage it, and returns the error reading it raises. */
async function errorAfter(spoil: (dir: string) => Promise<void>, numClasses?: number): Promise<DatasetError> {
  return withTempDir(async (dir) => {
    await writeIdxDataset(dir, split());
    await spoil(dir);
    try {
      await readIdxDataset(dir, { numClasses });
    } catch (err) {
      assert.ok(err instanceof DatasetError, `expected DatasetError, got ${String(err)}`);
      assert.ok(!err.message.includes('\n'), 'one-line message');
      return err;
    }
    assert.fail('reading the spoiled folder succeeded');
  });
}

test('wrong magic number names the file and both numbers', async () => {
  const err = await errorAfter(async (dir) => {
    // An idx1 label file where images belong.
    await writeFile(join(dir, IDX_FILES.trainImages), await readFile(join(dir, IDX_FILES.trainLabels)));
  });
  assert.match(err.message, /train-images-idx3-ubyte: wrong magic number 0x00000801, expected 0x00000803/);
});

test('truncated image file', async () => {
  const err = await errorAfter(async (dir) => {
    const f = join(dir, IDX_FILES.testImages);
    const b = await readFile(f);
    await writeFile(f, b.subarray(0, b.length - 5));
  });
  assert.match(err.message, /t10k-images-idx3-ubyte: truncated: header declares 4×3×2 = 24 data bytes, file has 19/);
});

test('truncated gzip file', async () => {
  const err = await errorAfter(async (dir) => {
    const f = join(dir, IDX_FILES.trainLabels);
    const gz = gzipSync(await readFile(f));
    await rm(f);
    await writeFile(`${f}.gz`, gz.subarray(0, gz.length - 8));
  });
  assert.match(err.message, /train-labels-idx1-ubyte\.gz: corrupt or truncated gzip/);
});

test('image/label count mismatch', async () => {
  const err = await errorAfter(async (dir) => {
    await writeFile(join(dir, IDX_FILES.trainLabels), encodeIdx({ dims: [6], data: new Uint8Array([0, 1, 2, 0, 1, 2]) }));
  });
  assert.match(err.message, /train-labels-idx1-ubyte: 6 labels but .*train-images-idx3-ubyte has 7 images/);
});

test('label out of range against a given class count', async () => {
  const err = await errorAfter(async (dir) => {
    await writeFile(join(dir, IDX_FILES.testLabels), encodeIdx({ dims: [4], data: new Uint8Array([0, 1, 9, 2]) }));
  }, 3);
  assert.match(err.message, /t10k-labels-idx1-ubyte: label 9 at index 2 is out of range 0\.\.2/);
});

test('a stray large label is caught even without a class count (labels must be dense)', async () => {
  const err = await errorAfter(async (dir) => {
    await writeFile(join(dir, IDX_FILES.trainLabels), encodeIdx({ dims: [7], data: new Uint8Array([0, 1, 2, 0, 200, 2, 0]) }));
  });
  assert.match(err.message, /train-labels-idx1-ubyte: label 200 at index 4 is out of range/);
});

test('missing file is named', async () => {
  const err = await errorAfter((dir) => rm(join(dir, IDX_FILES.testLabels)));
  assert.match(err.message, /missing t10k-labels-idx1-ubyte/);
});
