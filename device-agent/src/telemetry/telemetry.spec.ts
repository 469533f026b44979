import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LATENCY_BUCKETS_MS, TelemetryMessage, parseMessage, type TelemetryWindow } from '@edgefleet/contracts';
import { silentLogger } from '../lib/logger';
import { summarizeOutput } from '../serving/output-summary';
import { DiskQueue } from './disk-queue';
import { TelemetryReporter, type TelemetryLink } from './telemetry-reporter';
import { WindowAggregator } from './window-aggregator';

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

describe('TelemetryReporter', () => {
  it('keeps windows on disk while offline and sends them oldest first, with the dropped count, when back', async () => {
    const sent: TelemetryMessage[] = [];
    const link: TelemetryLink & { connected: boolean } = {
      connected: false,
      publishTelemetry: async (m) => {
        if (!link.connected) throw new Error('offline');
        sent.push(m);
      },
    };
    const rep = new TelemetryReporter(await tmp(), '1.2.3', link, () => SHA, silentLogger, { windowS: 3600, queueMax: 3 });
    await rep.start();
    for (let i = 0; i < 5; i++) {
      rep.onInference({ sha256: SHA }, 1, summarizeOutput([0, 1]), 2);
      await rep.tick();
    }
    assert.equal(sent.length, 0);
    assert.equal(rep.queued, 3);
    link.connected = true;
    await rep.flush(true);
    assert.equal(sent.length, 1);
    const m = sent[0]!;
    assert.equal(m.windows.length, 3);
    assert.equal(m.dropped, 2);
    assert.equal(m.heartbeat?.agentVersion, '1.2.3');
    const starts = m.windows.map((w: TelemetryWindow) => Date.parse(w.start));
    assert.deepEqual(starts, [...starts].sort((a, b) => a - b));
    assert.equal(rep.queued, 0);
    await rep.tick();
    assert.equal(sent[1]?.windows.length, 0, 'heartbeat alone');
    assert.equal(sent[1]?.dropped, undefined, 'the dropped count was acknowledged');
    await rep.stop();
  });
});
