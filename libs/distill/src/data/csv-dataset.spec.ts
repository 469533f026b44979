import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatasetError } from './dataset-error';
import { csvToSplit } from './csv-dataset';

const rows = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i)).join('\n');

test('header is optional and detected; floats are used as given; last 1/7 is the test set', () => {
  const body = rows(14, (i) => `${i % 2},${i / 10},${-i}`);
  for (const text of [body, `label,a,b\r\n${body.replace(/\n/g, '\r\n')}\n\n`]) {
    const s = csvToSplit(text, 'f.csv');
    assert.equal(s.train.n, 12);
    assert.equal(s.test.n, 2);
    assert.deepEqual(s.train.sampleShape, [2]);
    assert.equal(s.train.numClasses, 2);
    // Row 12 (label 0, 1.2, -12) is the first test row: file order is kept.
    assert.deepEqual([...s.test.y], [0, 1]);
    assert.ok(Math.abs(s.test.x[0] - 1.2) < 1e-6);
    assert.equal(s.test.x[1], -12);
  }
});

test('byte-valued features are scaled by 1/255 (auto), or not with scale: none', () => {
  const text = rows(7, (i) => `${i % 3},0,${i * 40},255`);
  const auto = csvToSplit(text, 'b.csv');
  assert.equal(auto.train.x[2], 1);
  assert.ok(Math.abs(auto.train.x[4] - 40 / 255) < 1e-7);
  const raw = csvToSplit(text, 'b.csv', { scale: 'none' });
  assert.equal(raw.train.x[2], 255);
});

test('a split seed shuffles before splitting, reproducibly', () => {
  const text = rows(70, (i) => `${Math.floor(i / 7)},${i}`);
  const a = csvToSplit(text, 's.csv', { splitSeed: 3, testFraction: 0.2 });
  const b = csvToSplit(text, 's.csv', { splitSeed: 3, testFraction: 0.2 });
  assert.equal(a.test.n, 14);
  assert.deepEqual(a.test.x, b.test.x);
  assert.ok(new Set(a.test.y).size > 3, 'a sorted file still gives a mixed test set');
});

const failure = (text: string, opts = {}): string => {
  try {
    csvToSplit(text, 'bad.csv', opts);
  } catch (err) {
    assert.ok(err instanceof DatasetError);
    assert.ok(!err.message.includes('\n'));
    return err.message;
  }
  assert.fail('parsed bad CSV');
};

test('non-numeric value names line and column', () => {
  assert.match(failure('label,a,b\n0,1,2\n1,x3,4\n0,1,1'), /^bad\.csv: line 3, column 2: non-numeric value "x3"$/);
  assert.match(failure('0,1,2\n1,,4\n0,1,1'), /line 2, column 2: non-numeric/);
});

test('ragged row names the line', () => {
  assert.match(failure('0,1,2\n1,3\n0,1,1'), /^bad\.csv: line 2: ragged row, 1 features where earlier rows have 2$/);
});

test('labels must be whole numbers in range', () => {
  assert.match(failure('0,1\n1,2\n-1,3\n0,4'), /line 3: label -1 is out of range/);
  assert.match(failure('0,1\n1.5,2\n0,3'), /line 2: label 1.5 is out of range/);
  assert.match(failure(rows(8, (i) => `${i % 2},${i}`) + '\n5,0', { numClasses: 2, testFraction: 0.2 }), /line 9 is out of range 0\.\.1/);
});
