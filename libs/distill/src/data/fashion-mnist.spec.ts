import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureFashionMnist, fashionMnistSourceDir, readFashionMnistClass, writeFashionMnistIdx } from './fashion-mnist';
import { loadDataset } from './load-dataset';
import { readIdxDataset } from './idx-dataset';
import { withTempDir } from './test-factory';

/** Package-shaped class files: `per` rows per class, pixel value = class * 20 + row, plus bad rows in class 0. */
async function fakePackage(dir: string, per: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let c = 0; c < 10; c++) {
    const data: unknown[] = Array.from({ length: per }, (_, r) => new Array(784).fill(c * 20 + r));
    if (c === 0) data.splice(1, 0, [], new Array(783).fill(0), [...new Array(783).fill(0), 256]);
    await writeFile(join(dir, `${c}.json`), JSON.stringify({ data }));
  }
}

test('conversion drops invalid rows, splits per class and shuffles each split', () =>
  withTempDir(async (dir) => {
    await fakePackage(join(dir, 'src'), 5);
    const report = await writeFashionMnistIdx(join(dir, 'out'), { sourceDir: join(dir, 'src'), testPerClass: 2, trainPerClass: 3, gzip: true });
    assert.deepEqual(report.dropped.map((d) => [d.label, d.index]), [[0, 1], [0, 2], [0, 3]]);
    assert.match(report.dropped[2].reason, /pixel 783 is 256/);
    assert.equal(report.train, 30);
    assert.equal(report.test, 20);
    const ds = await readIdxDataset(join(dir, 'out'), { numClasses: 10 });
    assert.deepEqual(ds.train.sampleShape, [1, 28, 28]);
    // Each image is constant; its value says (class, row): test = rows 0..1, train = rows 2..4 of each class.
    const key = (x: Float32Array, i: number) => Math.round(x[i * 784] * 255);
    const testKeys = Array.from({ length: 20 }, (_, i) => key(ds.test.x, i));
    const trainKeys = Array.from({ length: 30 }, (_, i) => key(ds.train.x, i));
    assert.deepEqual([...testKeys].sort((a, b) => a - b), Array.from({ length: 10 }, (_, c) => [c * 20, c * 20 + 1]).flat());
    assert.ok(trainKeys.every((k) => k % 20 >= 2));
    testKeys.forEach((k, i) => assert.equal(ds.test.y[i], Math.floor(k / 20)));
    assert.notDeepEqual(ds.train.y.slice(0, 3), Int32Array.from([0, 0, 0]), 'shuffled, not sorted by class');
  }));

test('too few valid rows is a DatasetError naming the class file', () =>
  withTempDir(async (dir) => {
    await fakePackage(dir, 3);
    await assert.rejects(writeFashionMnistIdx(join(dir, 'out'), { sourceDir: dir }), /0\.json: 3 valid rows, need 1000 test \+ 6000 train/);
  }));

test('the installed package: class 0 has 7000 valid rows and the two known empty ones', async () => {
  const rows = await readFashionMnistClass(join(fashionMnistSourceDir(), '0.json'), 0);
  assert.equal(rows.count, 7000);
  assert.deepEqual(rows.dropped.map((d) => d.index), [1000, 7001]);
  assert.match(rows.dropped[0].reason, /0 pixels, expected 784/);
});

test('ensureFashionMnist converts the whole package once, even when called twice at once', () =>
  withTempDir(async (dir) => {
    const cache = join(dir, 'cache', 'fm');
    const [a, b] = await Promise.all([ensureFashionMnist(cache), ensureFashionMnist(cache)]);
    assert.equal(a, cache);
    assert.equal(b, cache);
    assert.deepEqual((await readdir(join(dir, 'cache'))).sort(), ['fm'], 'no temporary folders left behind');
    const ds = await loadDataset(cache);
    assert.equal(ds.train.n, 60000);
    assert.equal(ds.test.n, 10000);
    const perClass = new Array<number>(10).fill(0);
    ds.train.y.forEach((c) => perClass[c]++);
    assert.deepEqual(perClass, new Array<number>(10).fill(6000));
    const manifest = JSON.parse(await readFile(join(cache, 'manifest.json'), 'utf8')) as { dropped: unknown[] };
    assert.equal(manifest.dropped.length, 2);
  }));
