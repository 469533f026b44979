// Against the real PostgreSQL (TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test), one
// fresh database per test. Skipped with a reason when the server is down, except with CI=true where it fails.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test, type TestContext } from 'node:test';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { MigrationFailedError } from './errors';
import { applyMigrations } from './migrate';
import { migrationList, openSchemaEngine } from './migrations/schema-engine';
import { readMigrations } from './migrations/migration-files';
import { pgSession } from './migrations/sql-session';
import { openDatabase } from './open-database';
import { defaultMigrationsDir, defaultSchemaPath } from './paths';
import { connectClient, createPool, parsePostgresUrl } from './postgres-target';
import { tempMigrations, UNUSED_DATA_DIR } from './test-support/migrations-dir';
import { assertRoundTrip } from './test-support/round-trip';
import { createTempPostgresDatabase, PostgresGate, type TempPostgresDatabase } from './testing';

const migrationNames = readMigrations(defaultMigrationsDir).map((m) => m.name);

describe('PostgreSQL', () => {
  const gate = new PostgresGate();
  const dbs: TempPostgresDatabase[] = [];
  before(() => gate.probe());
  after(async () => {
    // In parallel: each DROP DATABASE waits for a checkpoint, slow on a busy machine.
    await Promise.all(dbs.map((db) => db.drop()));
  });
  const freshDatabase = async (): Promise<string> => {
    const db = await createTempPostgresDatabase();
    dbs.push(db);
    return db.url;
  };
  const client = (url: string) => connectClient(parsePostgresUrl(url));

  test('openDatabase migrates a fresh database, round-trips the models, and a second open applies nothing', async (t) => {
    if (gate.skipped(t)) return;
    const url = await freshDatabase();
    const logs: string[] = [];
    const db = await openDatabase({ databaseUrl: url, dataDir: UNUSED_DATA_DIR, log: (l) => logs.push(l) });
    try {
      assert.equal(db.kind, 'postgres');
      assert.match(db.describe, /^PostgreSQL postgresql:\/\/postgres@127\.0\.0\.1:5432\/edgefleet_test_/);
      assert.deepEqual(logs.filter((l) => l.startsWith('applied migration ')), migrationNames.map((n) => `applied migration ${n}`));
      await assertRoundTrip(db.prisma);
    } finally {
      await db.close();
    }
    logs.length = 0;
    const again = await openDatabase({ databaseUrl: url, dataDir: UNUSED_DATA_DIR, log: (l) => logs.push(l) });
    await again.close();
    assert.equal(logs.some((l) => l.startsWith('applied migration')), false);
    assert.match(logs.join('\n'), /schema up to date/);
  });

  test('two clients migrating at once: each migration is applied once, the second waits for the first', async (t) => {
    if (gate.skipped(t)) return;
    const url = await freshDatabase();
    // The real migrations plus a slow one, so the two runs certainly overlap.
    const m = tempMigrations({ ...Object.fromEntries(readMigrations(defaultMigrationsDir).map((x) => [x.name, x.sql])), '99999999999999_slow': 'SELECT pg_sleep(0.5);' });
    const [a, b] = await Promise.all([client(url), client(url)]);
    try {
      const logs: string[][] = [[], []];
      const results = await Promise.all([a, b].map((c, i) => applyMigrations(pgSession(c), { migrationsDir: m.dir, log: (l) => logs[i]!.push(l) })));
      const all = [...migrationNames, '99999999999999_slow'];
      const [first, second] = results[0]!.applied.length > 0 ? [0, 1] : [1, 0];
      assert.deepEqual(results[first]!.applied, all);
      assert.deepEqual(results[second]!, { applied: [], alreadyApplied: all });
      assert.match(logs[second]!.join('\n'), /another process is migrating this database; waiting/);
      const rows = await a.query('SELECT migration_name FROM _prisma_migrations');
      assert.equal(rows.rowCount, all.length);
    } finally {
      await Promise.all([a.end(), b.end()]);
      m.remove();
    }
  });

  test('a failing migration leaves no trace and is named in the error', async (t) => {
    if (gate.skipped(t)) return;
    const url = await freshDatabase();
    const m = tempMigrations({ '001_ok': 'CREATE TABLE ok (id int);', '002_bad': 'CREATE TABLE half (id int);\nCREATE TABLE ok (id int);' });
    const c = await client(url);
    try {
      await assert.rejects(applyMigrations(pgSession(c), { migrationsDir: m.dir }), (err: unknown) => {
        assert.ok(err instanceof MigrationFailedError);
        assert.equal(err.migrationName, '002_bad');
        assert.match(err.message, /migration 002_bad failed and was rolled back: relation "ok" already exists/);
        return true;
      });
      const { rows } = await c.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
      assert.deepEqual(rows.map((r: { tablename: string }) => r.tablename), ['_prisma_migrations', 'ok']);
      assert.equal((await c.query('SELECT 1 FROM _prisma_migrations')).rowCount, 1);
      // The advisory lock was released: another session can take it.
      const other = await client(url);
      try {
        assert.equal((await other.query('SELECT pg_try_advisory_lock(72707369) AS l')).rows[0].l, true);
      } finally {
        await other.end();
      }
    } finally {
      await c.end();
      m.remove();
    }
  });

  test("Prisma's own schema engine (behind `prisma migrate status|deploy`) sees the runner's migrations as applied", async (t: TestContext) => {
    if (gate.skipped(t)) return;
    const url = await freshDatabase();
    const db = await openDatabase({ databaseUrl: url, dataDir: UNUSED_DATA_DIR });
    await db.close();
    const schema = readFileSync(defaultSchemaPath, 'utf8');
    // Our own pool: the engine never closes the adapter's, whose idle connections would hold the process open.
    const pool = new Pool({ connectionString: url });
    const engine = await openSchemaEngine(defaultSchemaPath, schema, new PrismaPg(pool));
    try {
      const migrationsList = migrationList(defaultMigrationsDir);
      const filters = { externalTables: [], externalEnums: [] };
      const diagnosis = await engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters });
      assert.deepEqual(diagnosis, { editedMigrationNames: [], failedMigrationNames: [], hasMigrationsTable: true, history: null });
      // (engine.applyMigrations, the deploy itself, also returns [] here; it is not called because its 10 s
      // advisory-lock timer is never cleared by the wasm engine and would hold the test process open.)
    } finally {
      engine.free();
      await pool.end();
    }
  });

  test('a pooled client whose session the server ends while it is checked out and idle is an error for its user, not the end of the process', async (t) => {
    if (gate.skipped(t)) return;
    const url = await freshDatabase();
    const pool = createPool(parsePostgresUrl(url));
    const admin = await client(url);
    try {
      // Handed out and between queries: the moment @prisma/adapter-pg has not attached its own listener yet.
      const c = await pool.connect();
      const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const ended = new Promise((res) => c.once('end', res));
      // FATAL 57P01, as when PostgreSQL stops or restarts; without a listener this 'error' event ended the process.
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await ended;
      await assert.rejects(c.query('SELECT 1'), /not queryable|terminat/i, 'its next query fails instead');
      c.release();
      assert.equal((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one, 1, 'the pool hands out a fresh connection');
    } finally {
      await admin.end();
      await pool.end();
    }
  });
});
