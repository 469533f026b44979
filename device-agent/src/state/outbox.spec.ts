import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MSG_ID_PATTERN, PROTOCOL_VERSION, type ProgressMessage, type ReportMessage } from '@edgefleet/contracts';
import { silentLogger } from '../lib/logger';
import { Outbox } from './outbox';

const SHA = 'ab'.repeat(32);
const progress = (deploymentId: string, state: ProgressMessage['state'], receivedBlocks = 0): Omit<ProgressMessage, 'msgId'> =>
  ({ v: PROTOCOL_VERSION, deploymentId, sha256: SHA, state, receivedBlocks, totalBlocks: 10 });
const report = (deploymentId: string): Omit<ReportMessage, 'msgId'> => ({
  v: PROTOCOL_VERSION, deploymentId, artifactSha256: SHA, outcome: 'activated', runs: 5, warmupRuns: 1, inputSource: 'synthetic',
  gateResults: [], simulated: false, measuredAt: '2026-12-01T00:00:00.000Z',
});

test('entries survive a restart in order; acknowledged ones are gone from disk; junk files are dropped', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'outbox-'));
  try {
    const a = new Outbox(dir, silentLogger);
    await a.load();
    const p = await a.add('progress', progress('d1', 'downloading', 3));
    const r = await a.add('report', report('d0'));
    const q = await a.add('progress', progress('d2', 'failed'));
    assert.ok(MSG_ID_PATTERN.test(p.msg.msgId));
    assert.equal(await a.remove(q.msg.msgId), true);
    assert.equal(await a.remove(q.msg.msgId), false, 'a second ack of the same id is a no-op');
    await writeFile(join(dir, 'garbage.json'), '{"seq":1');
    await writeFile(join(dir, `x.json.1234.tmp`), 'half');

    const b = new Outbox(dir, silentLogger);
    await b.load();
    assert.deepEqual(b.pending().map((e) => e.msg.msgId), [p.msg.msgId, r.msg.msgId]);
    assert.deepEqual((await readdir(dir)).sort(), [`${p.msg.msgId}.json`, `${r.msg.msgId}.json`].sort());
    const next = await b.add('progress', progress('d3', 'downloading'));
    assert.ok(next.seq > r.seq, 'sequence numbers continue after a restart');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a progress drops earlier not-higher progress of its deployment; a report drops its pending progress; failed and reports stay', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'outbox-'));
  try {
    const o = new Outbox(dir, silentLogger);
    await o.load();
    await o.add('progress', progress('d1', 'downloading', 1));
    await o.add('progress', progress('d1', 'downloading', 5));
    const other = await o.add('progress', progress('d2', 'downloading', 1));
    const verifying = await o.add('progress', progress('d1', 'verifying', 10));
    assert.deepEqual(o.pending().map((e) => e.msg.msgId), [other.msg.msgId, verifying.msg.msgId]);
    const lower = await o.add('progress', progress('d1', 'downloading', 2)); // an eval set after the model: keeps `verifying`
    assert.deepEqual(o.pending().map((e) => e.msg.msgId), [other.msg.msgId, verifying.msg.msgId, lower.msg.msgId]);
    const failed = await o.add('progress', progress('d1', 'failed'));
    const rep = await o.add('report', report('d1'));
    assert.deepEqual(o.pending().map((e) => e.msg.msgId), [other.msg.msgId, failed.msg.msgId, rep.msg.msgId]);
    assert.equal((await readdir(dir)).length, 3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a progress that only advances the block counter stays in memory and never drops the state change on disk', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'outbox-'));
  try {
    const o = new Outbox(dir, silentLogger);
    await o.load();
    const started = await o.add('progress', progress('d1', 'downloading', 0));
    const counter = await o.add('progress', progress('d1', 'downloading', 4));
    const later = await o.add('progress', progress('d1', 'downloading', 8));
    assert.equal(o.durable(started.msg.msgId), true);
    assert.equal(o.durable(counter.msg.msgId), false);
    // The newer counter replaces the older one; the stored `downloading` stays until it is acknowledged itself.
    assert.deepEqual(o.pending().map((e) => e.msg.msgId), [started.msg.msgId, later.msg.msgId]);
    assert.deepEqual(await readdir(dir), [`${started.msg.msgId}.json`]);
    assert.equal(await o.remove(later.msg.msgId), true);

    const after = new Outbox(dir, silentLogger);
    await after.load();
    assert.deepEqual(after.pending().map((e) => e.msg.msgId), [started.msg.msgId], 'the state change survives a restart, the counter does not');
    const again = await after.add('progress', progress('d1', 'downloading', 8));
    assert.equal(after.durable(again.msg.msgId), true, 'the first progress of a run is stored');
    const verifying = await after.add('progress', progress('d1', 'verifying', 10));
    assert.equal(after.durable(verifying.msg.msgId), true);
    assert.deepEqual(await readdir(dir), [`${verifying.msg.msgId}.json`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
