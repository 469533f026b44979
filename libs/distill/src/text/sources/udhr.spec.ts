import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Prng } from '@edgefleet/toolkit';
import { droppedOf, udhrSplit, wordsOf } from './udhr';

test('droppedOf: each copy is the paragraph without exactly one of its words, in order, seeded', () => {
  const text = 'all human beings are born free and equal';
  const words = text.split(' ');
  const copies = droppedOf(text, 5, new Prng(3));
  assert.equal(copies.length, 5);
  for (const c of copies) {
    const kept = c.split(' ');
    assert.equal(kept.length, words.length - 1);
    const gone = words.findIndex((w, i) => kept[i] !== w);
    assert.deepEqual([...words.slice(0, gone), ...words.slice(gone + 1)], kept);
  }
  assert.deepEqual(droppedOf(text, 5, new Prng(3)), copies);
  assert.deepEqual(droppedOf('too short here', 3, new Prng(3)), []);
});

test('udhrSplit: dropped-word rows come from training paragraphs only and leave the held-out paragraphs as they were', async () => {
  const plain = await udhrSplit({ lid176Only: true, perLanguage: 10 });
  const more = await udhrSplit({ lid176Only: true, perLanguage: 10, trainDropped: 2 });
  assert.deepEqual(more.test, plain.test);
  assert.deepEqual(more.labels, plain.labels);
  const paragraphs = new Set(plain.train.map((r) => r.text));
  const extra = more.train.filter((r) => !paragraphs.has(r.text));
  assert.ok(extra.length > plain.train.length, `${extra.length} dropped-word rows for ${plain.train.length} paragraphs`);
  const held = new Set(plain.test.map((r) => r.text));
  for (const r of extra) assert.ok(!held.has(r.text));
  // Each extra row is a training paragraph of its language with one word fewer.
  const byLabel = new Map<string, string[][]>();
  for (const r of plain.train) byLabel.set(r.label, [...(byLabel.get(r.label) ?? []), r.text.split(' ')]);
  for (const r of extra.slice(0, 200)) {
    const w = r.text.split(' ');
    assert.ok(byLabel.get(r.label)!.some((p) => p.length === w.length + 1 && w.every((x, i) => x === p[i] || x === p[i + 1])), r.text);
  }
});

test('wordsOf: distinct words of ≥ 3 code points without edge punctuation, at most count, seeded', () => {
  const text = '«Everyone has the right to life, liberty and security of person.» Everyone!';
  const w = wordsOf(text, 4, new Prng(5));
  assert.equal(w.length, 4);
  assert.equal(new Set(w).size, 4);
  const allowed = new Set(['Everyone', 'has', 'the', 'right', 'life', 'liberty', 'and', 'security', 'person']);
  for (const x of w) assert.ok(allowed.has(x), x);
  assert.deepEqual(wordsOf(text, 4, new Prng(5)), w);
  assert.equal(wordsOf(text, 50, new Prng(5)).length, allowed.size);
  assert.deepEqual(wordsOf('a of ?!', 3, new Prng(5)), []);
});
