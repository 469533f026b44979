// Two processes' worth of clients on one real PostgreSQL database (TEST_DATABASE_URL): a change committed through
// one reaches the other's TableChanges by LISTEN/NOTIFY (the migration's triggers). Skipped with a reason when the
// server is down, except with CI=true where it fails.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDatabase, type Database } from './open-database';
import { UNUSED_DATA_DIR } from './test-support/migrations-dir';
import { createTempPostgresDatabase, PostgresGate, probeTestPostgres, type TempPostgresDatabase } from './testing';

/** The tables whose reads the control plane caches (ReadCache users): each must notify its changes. */
const CACHED_TABLES = ['Device', 'Deployment', 'DeploymentDevice', 'ModelArtifact', 'BenchmarkReport'];

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('table changes across clients on PostgreSQL', () => {
  const gate = new PostgresGate();
  let temp: TempPostgresDatabase | undefined;
  let a: Database | undefined;
  let b: Database | undefined;
  before(async () => {
    await gate.probe();
    if ((await probeTestPostgres()) !== true) return;
    temp = await createTempPostgresDatabase();
    a = await openDatabase({ databaseUrl: temp.url, dataDir: UNUSED_DATA_DIR });
    b = await openDatabase({ databaseUrl: temp.url, dataDir: UNUSED_DATA_DIR });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await temp?.drop();
  });

  test('every cached table has the trigger that notifies its changes', async (t) => {
    if (gate.skipped(t)) return;
    const rows = await a!.prisma.$queryRaw<Array<{ table: string }>>`
      SELECT c.relname AS "table" FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_proc p ON p.oid = g.tgfoid
      WHERE p.proname = 'edgefleet_notify_table_change' AND NOT g.tgisinternal`;
    for (const table of CACHED_TABLES) assert.ok(rows.some((r) => r.table === table), `${table} has no change trigger`);
  });

  test('a commit through one client moves the other\'s stamp of that table, a rollback does not', async (t) => {
    if (gate.skipped(t)) return;
    assert.equal(b!.changes.reliable, true);
    const s = b!.changes.stamp(['Device']);
    await assert.rejects(a!.prisma.$transaction(async (tx) => {
      await tx.device.create({ data: { id: 'rolled-back', name: 'x', tags: [], profile: {}, profileClass: 'c' } });
      throw new Error('roll back');
    }));
    await a!.prisma.modelArtifact.count(); // a round trip later, a notification would have arrived
    assert.equal(b!.changes.stamp(['Device']), s);
    await a!.prisma.device.create({ data: { id: 'kept', name: 'x', tags: [], profile: {}, profileClass: 'c' } });
    await until('b hears of the Device change', () => b!.changes.stamp(['Device']) !== s);
  });

  test('a write that changed no row moves no stamp, in or out of a transaction; one that changed a row does', async (t) => {
    if (gate.skipped(t)) return;
    // Rollout has no change trigger (its reads are not cached) and Deployment references it: only the local
    // report could move Deployment's stamp here.
    const s = a!.changes.stamp(['Deployment']);
    const leases = await a!.prisma.$queryRaw<Array<{ id: string }>>`UPDATE "Rollout" SET "leaseOwner" = 'x' WHERE "leaseOwner" = 'nobody' RETURNING id`;
    assert.equal(leases.length, 0);
    assert.equal(await a!.prisma.rollout.updateMany({ where: { leaseOwner: 'nobody' }, data: { leaseOwner: null } }).then((r) => r.count), 0);
    await a!.prisma.$transaction(async (tx) => {
      await tx.rollout.deleteMany({ where: { id: 'none' } });
    });
    assert.equal(a!.changes.stamp(['Deployment']), s);
    // A write without RETURNING that did change a row (counted by $queryRaw as no rows) must move it.
    await a!.prisma.device.create({ data: { id: 'zero-rows', name: 'x', tags: [], profile: {}, profileClass: 'c' } });
    const d = a!.changes.stamp(['Device']);
    await a!.prisma.$queryRaw`UPDATE "Device" SET "name" = 'y' WHERE id = 'zero-rows'`;
    assert.notEqual(a!.changes.stamp(['Device']), d);
  });

  test('while the listener is cut off nothing is reliable; it reconnects and counts everything as changed', async (t) => {
    if (gate.skipped(t)) return;
    const s = b!.changes.stamp(['Device']);
    // Kill every LISTEN session on this database (both clients'): the connections a network failure would drop.
    await a!.prisma.$executeRaw`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %'`;
    await until('b notices the lost listener', () => !b!.changes.reliable);
    await until('b listens again', () => b!.changes.reliable);
    assert.notEqual(b!.changes.stamp(['Device']), s);
  });
});
