// Applies prisma/migrations/*/migration.sql in order, each in its own transaction, and records them in
// `_prisma_migrations` exactly as Prisma Migrate does, so `prisma migrate deploy` (run by someone with the
// native engine) sees them as applied, and vice versa.
//
// Differences from Prisma, on purpose: a migration is wrapped in BEGIN/COMMIT, so a failure leaves no trace
// (no half-applied schema, no "failed" row to resolve by hand); fix the SQL and start again.
// Consequence: statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD
// VALUE before PostgreSQL 12) are not supported in migrations.
import { randomUUID } from 'node:crypto';
import { MigrationFailedError, MigrationHistoryError } from './errors';
import { readMigrations, type MigrationFile } from './migrations/migration-files';
import type { SqlSession } from './migrations/sql-session';
import { defaultMigrationsDir } from './paths';

/** The advisory lock key Prisma Migrate takes: the runner and `prisma migrate` exclude each other. */
export const PRISMA_MIGRATE_LOCK_ID = 72707369;

export interface MigrateOptions {
  /** Default: prisma/migrations of this repository. */
  migrationsDir?: string;
  log?: (line: string) => void;
  /** How long to wait for another process that is migrating the same database. Default 60 s. */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  /** Migrations applied by this call, in order. */
  applied: string[];
  /** Migrations found already applied. */
  alreadyApplied: string[];
}

// Prisma's own DDL for PostgreSQL (schema-engine sql-schema-connector), so the table is indistinguishable.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export async function applyMigrations(session: SqlSession, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const log = opts.log ?? (() => undefined);
  const migrations = readMigrations(opts.migrationsDir ?? defaultMigrationsDir);
  await acquireLock(session, opts.lockTimeoutMs ?? 60_000, log);
  let failed = false;
  try {
    await session.exec(CREATE_MIGRATIONS_TABLE);
    const rows = await session.query<AppliedRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at',
    );
    const applied = checkHistory(migrations, rows, log);
    const result: MigrateResult = { applied: [], alreadyApplied: [...applied] };
    for (const m of migrations) {
      if (applied.has(m.name)) continue;
      await applyOne(session, m);
      log(`applied migration ${m.name}`);
      result.applied.push(m.name);
    }
    return result;
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    // Closing the session would release the lock too; when migrating already failed, that first error is the
    // one worth reporting, not a second one from a connection that is gone.
    await session.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_ID]).catch((unlockErr: unknown) => {
      if (!failed) throw unlockErr;
    });
  }
}

async function acquireLock(session: SqlSession, timeoutMs: number, log: (line: string) => void): Promise<void> {
  // Polling pg_try_advisory_lock instead of blocking in pg_advisory_lock gives a clear error instead of a hang
  // when another migrator is stuck; the lock is per session, so a crashed holder releases it.
  const deadline = Date.now() + timeoutMs;
  let waiting = false;
  for (;;) {
    const [row] = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [PRISMA_MIGRATE_LOCK_ID]);
    if (row?.locked === true) return;
    if (Date.now() > deadline) {
      throw new MigrationHistoryError(
        `timed out after ${timeoutMs} ms waiting for another process to finish migrating this database (advisory lock ${PRISMA_MIGRATE_LOCK_ID})`,
      );
    }
    if (!waiting) log('another process is migrating this database; waiting for it');
    waiting = true;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Names of the migrations already applied; throws when the history cannot be continued. */
function checkHistory(migrations: MigrationFile[], rows: AppliedRow[], log: (line: string) => void): Set<string> {
  const onDisk = new Map(migrations.map((m) => [m.name, m]));
  const applied = new Set<string>();
  for (const row of rows) {
    if (row.rolled_back_at !== null) continue; // marked rolled back by `prisma migrate resolve`: ignored, as Prisma does
    if (row.finished_at === null) {
      throw new MigrationHistoryError(
        `migration ${row.migration_name} is recorded as failed in _prisma_migrations (left by an earlier \`prisma migrate\`); ` +
          `repair the database, then run \`prisma migrate resolve --rolled-back ${row.migration_name}\` or --applied`,
      );
    }
    applied.add(row.migration_name);
    const file = onDisk.get(row.migration_name);
    if (file === undefined) {
      log(`warning: migration ${row.migration_name} is applied in the database but missing from the migrations folder`);
    } else if (file.checksum !== row.checksum) {
      log(`warning: migration ${row.migration_name} was edited after it was applied (checksum differs); it is not re-applied`);
    }
  }
  return applied;
}

async function applyOne(session: SqlSession, m: MigrationFile): Promise<void> {
  const startedAt = new Date();
  await session.exec('BEGIN');
  try {
    await session.exec(m.sql);
    // Same values Prisma writes after a successful migration: one step, no logs.
    await session.query(
      `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
       VALUES ($1, $2, now(), $3, NULL, NULL, $4, 1)`,
      [randomUUID(), m.checksum, m.name, startedAt],
    );
    await session.exec('COMMIT');
  } catch (err) {
    try {
      await session.exec('ROLLBACK');
    } catch (rollbackErr) {
      throw new MigrationFailedError(m.name, new AggregateError([err, rollbackErr], `${errorText(err)}; ROLLBACK failed too: ${errorText(rollbackErr)}`));
    }
    throw new MigrationFailedError(m.name, err);
  }
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
