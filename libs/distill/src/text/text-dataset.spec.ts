import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetError } from '../data/dataset-error';
import { MAX_TEXT_CHARS, isTextDataset, readTextDataset } from './text-dataset';

async function folder(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'text-ds-'));
  for (const [name, body] of Object.entries(files)) await writeFile(join(dir, name), body);
  return dir;
}
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const good = jsonl([{ text: 'cheap pills', label: 'spam' }, { text: 'lunch at noon?', label: 'ham' }, { text: 'no label here' }]);

async function rejects(files: Record<string, string | Buffer>, pattern: RegExp): Promise<void> {
  const dir = await folder(files);
  try {
    await assert.rejects(readTextDataset(dir), (err: unknown) => err instanceof DatasetError && pattern.test(err.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('JSONL and CSV text data sets read alike; unlabelled rows are -1; labels.json fixes the class order', async () => {
  const dir = await folder({ 'train.jsonl': good, 'test.csv': 'id,text,label\n1,"free money, now!",spam\n2,"see you\nat 5",ham\n' });
  try {
    assert.ok(await isTextDataset(dir));
    const d = await readTextDataset(dir);
    assert.deepEqual(d.labels, ['ham', 'spam']);
    assert.deepEqual([...d.train.y], [1, 0, -1]);
    assert.deepEqual(d.test.texts, ['free money, now!', 'see you\nat 5']);
    assert.deepEqual([...d.test.y], [1, 0]);
    await writeFile(join(dir, 'labels.json'), '["spam","ham"]');
    assert.deepEqual([...(await readTextDataset(dir)).train.y], [0, 1, -1]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad text data gets one clear error naming the file and line', async () => {
  await rejects({ 'train.jsonl': good + jsonl([{ text: '   ', label: 'ham' }]), 'test.jsonl': good }, /train\.jsonl: line 4: empty text/);
  await rejects({ 'train.jsonl': Buffer.concat([Buffer.from(good), Buffer.from('{"text":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('","label":"ham"}\n')]), 'test.jsonl': good }, /train\.jsonl: invalid UTF-8 on line 4/);
  await rejects({ 'train.jsonl': good, 'test.jsonl': jsonl([{ text: 'x', label: 'phishing' }]) }, /test\.jsonl: line 1: unknown label "phishing"/);
  await rejects({ 'train.jsonl': good, 'test.jsonl': good, 'labels.json': '["ham"]' }, /train\.jsonl: line 1: unknown label "spam" \(labels\.json lists ham\)/);
  await rejects({ 'train.jsonl': jsonl([{ text: 'a'.repeat(MAX_TEXT_CHARS + 1), label: 'ham' }]), 'test.jsonl': good }, /line 1: text of 100001 characters, at most 100000/);
  await rejects({ 'train.jsonl': 'not json\n', 'test.jsonl': good }, /line 1: not JSON/);
  await rejects({ 'train.csv': 'body,label\nx,ham\n', 'test.jsonl': good }, /no "text" column/);
  await rejects({ 'train.jsonl': good }, /no test\.jsonl or test\.csv/);
});
