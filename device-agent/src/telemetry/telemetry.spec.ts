import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LATENCY_BUCKETS_MS, MAX_WINDOWS_PER_BATCH, TelemetryMessage, parseMessage, type TelemetryWindow } from '@edgefleet/contracts';
import { silentLogger } from '../lib/logger';
import { summarizeOutput } from '../serving/output-summary';
import { DiskQueue } from './disk-queue';
import { MAX_UNACKED_TELEMETRY, TelemetryReporter, type TelemetryLink } from './telemetry-reporter';
import { WindowAggregator } from './window-aggregator';
import { until } from '../testing/until';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'telemetry-'));
  dirs.push(d);
  return d;
}
const SHA = 'c'.repeat(64);

describe('WindowAggregator', () => {
  it('counts, buckets and validates against the contract', () => {
    const agg = new WindowAggregator();
    agg.record(SHA, 0.7, summarizeOutput([0.1, 0.8, 0.1]), 3);
    agg.record(SHA, 30, summarizeOutput([0.5, 0.2, 0.3]), 3);
    agg.error(SHA);
    const w = agg.close()!;
    assert.equal(w.n, 2);
    assert.equal(w.err, 1);
    assert.equal(w.lat.length, LATENCY_BUCKETS_MS.length + 1);
    assert.equal(w.lat[1], 1); // 0.7 ms ≤ 1 ms
    assert.equal(w.lat[6], 1); // 30 ms ≤ 50 ms
    assert.deepEqual(w.cls, [1, 1]);
    assert.equal(w.conf[8], 1);
    assert.equal(w.conf[5], 1);
    const parsed = parseMessage(TelemetryMessage, Buffer.from(JSON.stringify({ v: 1, windows: [w] })));
    assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.errors));
    assert.equal(agg.close(), undefined, 'an empty window is not sent');
  });

  it('closes the window when the model changes', () => {
    const agg = new WindowAggregator();
    assert.equal(agg.record(SHA, 1, summarizeOutput([1, 0]), 2), undefined);
    const closed = agg.record('d'.repeat(64), 1, summarizeOutput([1, 0]), 2);
    assert.equal(closed?.model, SHA);
    assert.equal(agg.close()?.model, 'd'.repeat(64));
  });
});

describe('DiskQueue', () => {
  it('keeps order across reopen and drops the oldest with a count when full', async () => {
    const dir = await tmp();
    const q = new DiskQueue<number>(dir, 3);
    await q.open();
    for (let i = 1; i <= 5; i++) await q.push(i);
    assert.equal(q.dropped, 2);
    const again = new DiskQueue<number>(dir, 3);
    await again.open();
    assert.equal(again.dropped, 2);
    const { records, seqs } = await again.peek(10);
    assert.deepEqual(records, [3, 4, 5]);
    await again.remove(seqs.slice(0, 1));
    await again.push(6);
    assert.deepEqual((await again.peek(10)).records, [4, 5, 6]);
  });
});

/** A link the test drives: connected or not, what reached the broker, and an optional answer to each publish. */
function fakeLink(onPublish?: (m: TelemetryMessage) => void): TelemetryLink & { connected: boolean; sent: TelemetryMessage[] } {
  const link = {
    connected: true,
    sent: [] as TelemetryMessage[],
    publishTelemetry: async (m: TelemetryMessage) => {
      if (!link.connected) throw new Error('offline');
      link.sent.push(structuredClone(m));
      onPublish?.(m);
    },
  };
  return link;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FAST = { baseMs: 60, maxMs: 120 };

describe('TelemetryReporter', () => {
  it('keeps windows on disk while offline and sends them oldest first, with the dropped count, when back', async () => {
    const link = fakeLink();
    link.connected = false;
    const rep = new TelemetryReporter(await tmp(), '1.2.3', link, () => SHA, silentLogger, { windowS: 3600, queueMax: 3 });
    await rep.start();
    for (let i = 0; i < 5; i++) {
      rep.onInference({ sha256: SHA }, 1, summarizeOutput([0, 1]), 2);
      await rep.tick();
    }
    assert.equal(link.sent.length, 0);
    assert.equal(rep.queued, 3);
    link.connected = true;
    await rep.flush(true, true);
    assert.equal(link.sent.length, 1);
    const m = link.sent[0]!;
    assert.equal(m.windows.length, 3);
    assert.equal(m.dropped, 2);
    assert.equal(m.heartbeat?.agentVersion, '1.2.3');
    assert.ok(parseMessage(TelemetryMessage, Buffer.from(JSON.stringify(m))).ok, 'the message passes the contract, msgId included');
    const starts = m.windows.map((w: TelemetryWindow) => Date.parse(w.start));
    assert.deepEqual(starts, [...starts].sort((a, b) => a - b));
    assert.equal(rep.queued, 3, 'the PUBACK alone deletes nothing');
    await rep.acked(m.msgId!);
    assert.equal(rep.queued, 0);
    await rep.tick();
    assert.equal(link.sent[1]?.windows.length, 0, 'heartbeat alone');
    assert.equal(link.sent[1]?.msgId, undefined, 'a heartbeat alone is not acknowledged');
    assert.equal(link.sent[1]?.dropped, undefined, 'the dropped count was acknowledged');
    await rep.stop();
  });

  it('keeps a window until acked, resends it (same id) while not, deletes it when acked, and resends it after a restart', async () => {
    const dir = await tmp();
    const link = fakeLink();
    const first = new TelemetryReporter(dir, '1', link, () => SHA, silentLogger, { windowS: 3600, resend: FAST });
    await first.start();
    first.onInference({ sha256: SHA }, 1, summarizeOutput([0, 1]), 2);
    await first.tick();
    const m = link.sent[0]!;
    assert.equal(m.windows.length, 1);
    assert.match(m.msgId!, /^[A-Za-z0-9_-]{8,64}$/);
    await until('a resend', () => link.sent.length >= 3);
    for (const again of link.sent.slice(1)) {
      assert.equal(again.msgId, m.msgId, 'a resend keeps the id');
      assert.deepEqual(again.windows.map((w) => w.id), m.windows.map((w) => w.id));
    }
    assert.equal(first.queued, 1, 'unacknowledged: still on disk');
    await first.stop(); // a restart before any ack

    link.sent.length = 0;
    const second = new TelemetryReporter(dir, '1', link, () => SHA, silentLogger, { windowS: 3600, resend: FAST });
    await second.start();
    assert.equal(second.queued, 1, 'the window survived the restart');
    await second.flush(true, true);
    const resent = link.sent[0]!;
    assert.deepEqual(resent.windows.map((w) => w.id), m.windows.map((w) => w.id), 'the same window, sent again');
    await second.acked('not-telemetry-0001'); // another sender's id: ignored
    assert.equal(second.queued, 1);
    await second.acked(resent.msgId!);
    assert.equal(second.queued, 0, 'deleted when acknowledged');
    assert.equal(second.unacknowledged, 0);
    const sentAtAck = link.sent.length;
    await sleep(FAST.maxMs * 3);
    assert.equal(link.sent.length, sentAtAck, 'no resend after the ack');
    await second.stop();
  });

  it('handles an ack that arrives before the PUBACK, and drops a message the control plane refused for good', async () => {
    let rep!: TelemetryReporter;
    const link = fakeLink((m) => void rep.acked(m.msgId!)); // acked inside the publish, before it resolves
    rep = new TelemetryReporter(await tmp(), '1', link, () => SHA, silentLogger, { windowS: 3600, resend: FAST });
    await rep.start();
    rep.onInference({ sha256: SHA }, 1, summarizeOutput([0, 1]), 2);
    await rep.tick();
    await until('the early ack', () => rep.queued === 0);

    const refusing = fakeLink();
    const other = new TelemetryReporter(await tmp(), '1', refusing, () => SHA, silentLogger, { windowS: 3600, resend: FAST });
    await other.start();
    other.onError({ sha256: SHA });
    await other.tick();
    assert.equal(other.queued, 1);
    await other.refused(refusing.sent[0]!.msgId!);
    assert.equal(other.queued, 0);
    await rep.stop();
    await other.stop();
  });

  it('sends oldest first, at most MAX_UNACKED_TELEMETRY messages unacknowledged, the next as acks come', async () => {
    const link = fakeLink();
    link.connected = false;
    const rep = new TelemetryReporter(await tmp(), '1', link, () => SHA, silentLogger, { windowS: 3600, resend: { baseMs: 60_000, maxMs: 60_000 } });
    await rep.start();
    const total = (MAX_UNACKED_TELEMETRY + 2) * MAX_WINDOWS_PER_BATCH;
    for (let i = 0; i < total; i++) {
      rep.onInference({ sha256: SHA }, 1, summarizeOutput([0, 1]), 2);
      await rep.tick();
    }
    link.connected = true;
    await rep.flush(false, true);
    assert.equal(link.sent.length, MAX_UNACKED_TELEMETRY, 'the rest waits on disk');
    assert.ok(link.sent.every((m) => m.windows.length === MAX_WINDOWS_PER_BATCH));
    const acked = new Set<string>();
    const delivered: TelemetryWindow[] = [];
    while (rep.queued > 0) {
      const open = link.sent.filter((m) => !acked.has(m.msgId!));
      assert.ok(open.length > 0 && open.length <= MAX_UNACKED_TELEMETRY, `${open.length} unacknowledged at once`);
      acked.add(open[0]!.msgId!);
      delivered.push(...open[0]!.windows);
      await rep.acked(open[0]!.msgId!);
      await rep.flush();
    }
    assert.equal(delivered.length, total);
    const starts = delivered.map((w) => Date.parse(w.start));
    assert.deepEqual(starts, [...starts].sort((a, b) => a - b), 'oldest first');
    assert.equal(new Set(delivered.map((w) => w.id)).size, total, 'each window once');
    await rep.stop();
  });

  it('a control plane that never acknowledges: the queue stays at its bound, the oldest windows dropped and counted', async () => {
    const link = fakeLink();
    const rep = new TelemetryReporter(await tmp(), '1', link, () => SHA, silentLogger, { windowS: 3600, queueMax: 4, resend: FAST });
    await rep.start();
    for (let i = 0; i < 12; i++) {
      rep.onInference({ sha256: SHA }, 1, summarizeOutput([0, 1]), 2);
      await rep.tick();
    }
    assert.equal(rep.queued, 4);
    await until('a resend after the drops', () => link.sent.length > 12);
    await rep.tick();
    const last = link.sent.filter((m) => m.windows.length > 0).at(-1)!;
    assert.ok(last.windows.length <= 4, 'what was dropped is not sent again');
    assert.ok(link.sent.some((m) => (m.dropped ?? 0) > 0), 'the dropped count is reported');
    await rep.stop();
  });
});
