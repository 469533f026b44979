import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DatasetError } from './dataset-error';
import { writeIdxDataset } from './idx-dataset';
import { loadDataset } from './load-dataset';
import { tinyImages, withTempDir } from './test-factory';

test('loadDataset reads an IDX folder and a CSV (plain or gz) file', () =>
  withTempDir(async (dir) => {
    await writeIdxDataset(join(dir, 'idx'), { train: tinyImages(6), test: tinyImages(3) }, { gzip: true });
    const idx = await loadDataset(join(dir, 'idx'));
    assert.deepEqual(idx.train.sampleShape, [1, 3, 2]);
    const csv = '0,1,2\n1,3,4\n0,5,6\n1,7,8\n0,9,9\n1,0,1\n0,1,1\n';
    await writeFile(join(dir, 'a.csv'), csv);
    await writeFile(join(dir, 'a.csv.gz'), gzipSync(csv));
    for (const f of ['a.csv', 'a.csv.gz']) {
      const s = await loadDataset(join(dir, f));
      assert.equal(s.train.n + s.test.n, 7);
      assert.deepEqual(s.test.sampleShape, [2]);
    }
  }));

test('loadDataset explains what it cannot read', () =>
  withTempDir(async (dir) => {
    await mkdir(join(dir, 'empty'));
    await writeFile(join(dir, 'model.bin'), 'x');
    await assert.rejects(loadDataset(join(dir, 'nope')), (e: unknown) => e instanceof DatasetError && /nope: no such file/.test(e.message));
    await assert.rejects(loadDataset(join(dir, 'empty')), /empty: not an MNIST-layout folder/);
    await assert.rejects(loadDataset(join(dir, 'model.bin')), /model\.bin: unknown data set format/);
  }));
