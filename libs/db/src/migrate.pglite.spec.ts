// The runner's rules on an in-memory PGlite (one instance, schema reset between tests: PGlite takes ~2 s to start).
import assert from 'node:assert/strict';
import { PGlite } from '@electric-sql/pglite';
import { after, before, beforeEach, describe, test } from 'node:test';
import { MigrationFailedError, MigrationHistoryError, MigrationsNotFoundError } from './errors';
import { applyMigrations } from './migrate';
import { pgliteSession, type SqlSession } from './migrations/sql-session';
import { tempMigrations } from './test-support/migrations-dir';

describe('applyMigrations on PGlite', () => {
  let db: PGlite;
  let session: SqlSession;
  before(async () => {
    db = await PGlite.create('memory://migrate-spec');
    session = pgliteSession(db);
  });
  after(() => db.close());
  beforeEach(() => db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;'));

  const tables = async (): Promise<string[]> =>
    (await session.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).map((r) => r.t);
  const recorded = async (): Promise<string[]> =>
    (await session.query<{ n: string }>('SELECT migration_name AS n FROM _prisma_migrations ORDER BY n')).map((r) => r.n);

  test('a failing migration is rolled back entirely, named in the error, and applies once fixed', async () => {
    const m = tempMigrations({
      '001_a': 'CREATE TABLE a (id int);',
      '002_b': 'CREATE TABLE b (id int);\nINSERT INTO a VALUES (1);\nSELECT * FROM no_such_table;',
    });
    try {
      await assert.rejects(applyMigrations(session, { migrationsDir: m.dir }), (err: unknown) => {
        assert.ok(err instanceof MigrationFailedError);
        assert.equal(err.migrationName, '002_b');
        assert.match(err.message, /002_b.*no_such_table/);
        return true;
      });
      assert.deepEqual(await tables(), ['_prisma_migrations', 'a'], 'table b of the failed migration is gone');
      assert.deepEqual(await session.query('SELECT * FROM a'), [], 'its insert into a is gone too');
      assert.deepEqual(await recorded(), ['001_a'], 'no row for the failed migration');

      m.write('002_b', 'CREATE TABLE b (id int);');
      const r = await applyMigrations(session, { migrationsDir: m.dir });
      assert.deepEqual(r, { applied: ['002_b'], alreadyApplied: ['001_a'] });
      assert.deepEqual(await recorded(), ['001_a', '002_b']);
    } finally {
      m.remove();
    }
  });

  test('applies in name order, records Prisma-compatible rows, and a second run is a no-op', async () => {
    const m = tempMigrations({ '20250102000000_b': 'ALTER TABLE a ADD COLUMN x int;', '20250101000000_a': 'CREATE TABLE a (id int);' });
    try {
      assert.deepEqual((await applyMigrations(session, { migrationsDir: m.dir })).applied, ['20250101000000_a', '20250102000000_b']);
      const rows = await session.query<Record<string, unknown>>('SELECT * FROM _prisma_migrations ORDER BY migration_name');
      assert.equal(rows.length, 2);
      const row = rows[0]!;
      assert.match(String(row.id), /^[0-9a-f-]{36}$/);
      assert.equal(row.checksum, '168f4af76cbece82a4185c6c57366e07883c6e4155f25ce28559018d99433b81', 'sha256 of the file as lowercase hex, as Prisma computes it');
      assert.ok(row.finished_at instanceof Date && row.started_at instanceof Date);
      assert.equal(row.applied_steps_count, 1);
      assert.equal(row.logs, null);
      assert.equal(row.rolled_back_at, null);
      assert.deepEqual(await applyMigrations(session, { migrationsDir: m.dir }), {
        applied: [],
        alreadyApplied: ['20250101000000_a', '20250102000000_b'],
      });
    } finally {
      m.remove();
    }
  });

  test('an edited migration is reported, not re-applied', async () => {
    const m = tempMigrations({ '001_a': 'CREATE TABLE a (id int);' });
    try {
      await applyMigrations(session, { migrationsDir: m.dir });
      m.write('001_a', 'CREATE TABLE a (id int, y int);');
      const logs: string[] = [];
      const r = await applyMigrations(session, { migrationsDir: m.dir, log: (l) => logs.push(l) });
      assert.deepEqual(r.applied, []);
      assert.match(logs.join('\n'), /001_a was edited after it was applied/);
    } finally {
      m.remove();
    }
  });

  test('refuses to continue past a migration that `prisma migrate` left failed', async () => {
    const m = tempMigrations({ '001_a': 'CREATE TABLE a (id int);', '002_b': 'CREATE TABLE b (id int);' });
    try {
      await applyMigrations(session, { migrationsDir: m.dir });
      await session.query(
        `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, started_at, applied_steps_count)
         VALUES ('00000000-0000-0000-0000-000000000000', 'x', '003_c', 'boom', now(), 0)`,
      );
      await assert.rejects(applyMigrations(session, { migrationsDir: m.dir }), (err: unknown) => {
        assert.ok(err instanceof MigrationHistoryError);
        assert.match(err.message, /003_c is recorded as failed.*prisma migrate resolve/);
        return true;
      });
    } finally {
      m.remove();
    }
  });

  test('a missing migrations folder is a clear error', async () => {
    await assert.rejects(applyMigrations(session, { migrationsDir: '/nonexistent/migrations' }), MigrationsNotFoundError);
  });
});
