/**
 * The PostgreSQL insert path of the telemetry windows (COPY into a staging table, then INSERT … ON CONFLICT DO
 * NOTHING in the same transaction), against the real server: values round-trip (text that COPY must escape too),
 * a re-sent batch inserts nothing, two overlapping batches at once store each window once, and a batch that fails
 * leaves nothing behind and does not break the next one on the same connections. Skipped without PostgreSQL
 * unless CI=true.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type Database } from '@edgefleet/db';
import { createTempPostgresDatabase, PostgresGate, type TempPostgresDatabase } from '@edgefleet/db/dist/testing';
import { TelemetryRepository, type WindowRow } from './telemetry.repository';

const row = (windowId: string, deviceId = 'dev-1'): WindowRow => ({
  deviceId, windowId, start: new Date('2026-12-01T10:00:00.000Z'), end: new Date('2026-12-01T10:01:00.123Z'), modelSha256: 'ab'.repeat(32), modelId: null,
  profileClass: 'cls\\with\ttab', count: 5, errors: 1, latencySumMs: 12.5, topProbSum: 3.75, latencyHist: [0, 5], classCounts: [2, 3], confHist: [0, 0, 5],
  marginHist: [5], entropyHist: [],
});

describe('telemetry windows into PostgreSQL (COPY + INSERT … ON CONFLICT)', () => {
  const gate = new PostgresGate();
  let tmp: TempPostgresDatabase | undefined;
  let db: Database | undefined;
  let repo: TelemetryRepository;
  before(async () => {
    await gate.probe();
    tmp = await createTempPostgresDatabase().catch(() => undefined);
    if (!tmp) return;
    db = await openDatabase({ databaseUrl: tmp.url, dataDir: '/nonexistent-unused' });
    repo = new TelemetryRepository(db.prisma, db);
  });
  after(async () => {
    await db?.close();
    await tmp?.drop();
  });

  it('round-trips a window, stores a re-sent batch once, and two overlapping batches at once store each window once', async (t) => {
    if (gate.skipped(t)) return;
    assert.ok(db?.staged, 'PostgreSQL takes the COPY path');
    const first = await repo.insertWindows([row('w-1'), row('w-2', 'dev-2')]);
    assert.deepEqual(first, [{ modelId: null, profileClass: 'cls\\with\ttab', windows: 2, count: 10, errors: 2, latencySumMs: 25 }]);
    const stored = await db!.prisma.telemetryWindow.findUniqueOrThrow({ where: { deviceId_windowId: { deviceId: 'dev-1', windowId: 'w-1' } } });
    const { receivedAt: _receivedAt, ...fields } = stored;
    assert.deepEqual(fields, row('w-1'));

    assert.deepEqual(await repo.insertWindows([row('w-1'), row('w-2', 'dev-2')]), [], 'a re-sent batch inserts nothing');
    const a = Array.from({ length: 300 }, (_, i) => row(`o-${i}`));
    const b = Array.from({ length: 300 }, (_, i) => row(`o-${i + 150}`));
    const [sa, sb] = await Promise.all([repo.insertWindows(a), repo.insertWindows(b)]);
    assert.equal((sa[0]?.windows ?? 0) + (sb[0]?.windows ?? 0), 450);
    assert.equal(await repo.countWindows(), 452);
  });

  it('a failing batch stores none of its windows, and the next batch on the same connections works', async (t) => {
    if (gate.skipped(t)) return;
    const before = await repo.countWindows();
    const bad = { ...row('bad-2'), count: 2 ** 40 }; // out of integer range: COPY refuses the batch
    await assert.rejects(repo.insertWindows([row('bad-1'), bad]), /out of range/);
    assert.equal(await repo.countWindows(), before);
    for (let i = 0; i < 12; i++) await repo.insertWindows([row(`after-${i}`)]); // more than the pool's connections
    assert.equal(await repo.countWindows(), before + 12);
  });
});
