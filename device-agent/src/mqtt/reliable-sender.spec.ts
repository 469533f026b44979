/**
 * The outbox's sender and the resend clock it shares with the telemetry reporter: a real Outbox on a temp dir, a
 * link the test drives (connected or not; what was published). Delays are a few tens of ms (the backoff's options).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTOCOL_VERSION, type ProgressMessage, type ReportMessage } from '@edgefleet/contracts';
import { silentLogger } from '../lib/logger';
import { Outbox } from '../state/outbox';
import { ReliableSender, type OutboxTransport } from './reliable-sender';
import { ResendClock } from './resend-clock';
import { until } from '../testing/until';

const SHA = 'ab'.repeat(32);
const RETRY = { baseMs: 40, maxMs: 80 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'sender-'));
  dirs.push(dir);
  const outbox = new Outbox(dir, silentLogger);
  await outbox.load();
  const sent: Array<{ kind: string; msgId: string }> = [];
  const link: OutboxTransport & { connected: boolean } = {
    connected: true,
    publishProgress: async (m: ProgressMessage) => void sent.push({ kind: 'progress', msgId: m.msgId! }),
    publishReport: async (m: ReportMessage) => void sent.push({ kind: 'report', msgId: m.msgId! }),
  };
  return { outbox, link, sent, sender: new ReliableSender(outbox, link, silentLogger, RETRY) };
}

test('a progress is resent with its id until acknowledged, then removed and never sent again', async () => {
  const { outbox, sent, sender } = await setup();
  await sender.progress({ deploymentId: 'd1', sha256: SHA, state: 'downloading', receivedBlocks: 1, totalBlocks: 4 });
  assert.equal(sent.length, 1);
  await until('two resends', () => sent.length >= 3);
  assert.equal(new Set(sent.map((s) => s.msgId)).size, 1, 'always the same id');
  await sender.acked(sent[0]!.msgId);
  assert.equal(outbox.size, 0);
  const n = sent.length;
  await sleep(RETRY.maxMs * 3);
  assert.equal(sent.length, n, 'no resend after the ack');
  sender.stop();
});

test('a held report goes out only when released; a refused one is dropped; while offline nothing counts as an attempt', async () => {
  const { outbox, link, sent, sender } = await setup();
  const r = await sender.holdReport({
    v: PROTOCOL_VERSION, deploymentId: 'd2', artifactSha256: SHA, outcome: 'activated', runs: 5, warmupRuns: 1, inputSource: 'synthetic',
    gateResults: [], simulated: false, measuredAt: '2026-12-01T00:00:00.000Z',
  });
  await sleep(RETRY.maxMs * 2);
  assert.equal(sent.length, 0, 'held');
  link.connected = false;
  sender.release(r.msgId!);
  await sleep(RETRY.maxMs * 2);
  assert.equal(sent.length, 0, 'offline: nothing published');
  link.connected = true;
  sender.flush(); // the reconnect
  assert.deepEqual(sent, [{ kind: 'report', msgId: r.msgId }]);
  await sender.refused(r.msgId!);
  assert.equal(outbox.size, 0);
  const n = sent.length;
  await sleep(RETRY.maxMs * 3);
  assert.equal(sent.length, n);
  sender.stop();
});

test('ResendClock: due after the backoff of the published attempts, oldest first, forgotten keys never', async () => {
  const fired: string[][] = [];
  const clock = new ResendClock<string>({ baseMs: 30, maxMs: 30 }, (keys) => {
    fired.push(keys);
    for (const k of keys) clock.sent(k, true);
  });
  clock.sent('a', true);
  clock.sent('b', true);
  clock.sent('c', false);
  clock.forget('c');
  await until('both keys due', () => fired.flat().includes('a') && fired.flat().includes('b')); // first delays 15–30 ms
  await sleep(45);
  assert.ok(!fired.flat().includes('c'));
  clock.stop();
  const n = fired.length;
  await sleep(80);
  assert.equal(fired.length, n, 'stopped: nothing fires');
});
