// One entry point for the rest of the system: a migrated PrismaClient over PostgreSQL when a URL is given,
// over an embedded PGlite in <dataDir>/pglite otherwise.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { DatabaseError } from './errors';
import { PrismaClient } from './generated/prisma/client';
import { applyMigrations, type MigrateResult } from './migrate';
import { pgliteSession, pgSession, type SqlSession } from './migrations/sql-session';
import { defaultMigrationsDir } from './paths';
import { lockDataDir } from './pglite-lock';
import { connectClient, createPool, parsePostgresUrl } from './postgres-target';
import { ChangeListener } from './change-listener';
import { stagedInsert, type StagedInsert } from './staged-insert';
import { readTableDependants, TableChanges, watchWrites, type TableDependants } from './table-changes';

export interface OpenDatabaseOptions {
  /** PostgreSQL URL; when absent, PGlite in <dataDir>/pglite. */
  databaseUrl?: string;
  dataDir: string;
  /** Apply pending migrations before returning. Default true. */
  migrate?: boolean;
  /** Default: prisma/migrations of this repository. */
  migrationsDir?: string;
  log?: (line: string) => void;
}

export interface Database {
  prisma: PrismaClient;
  kind: 'pglite' | 'postgres';
  /** For logs: "PostgreSQL postgresql://user@host:5432/db" or "PGlite /abs/data/pglite". */
  describe: string;
  /** Tables changed since a moment, by this process or (PostgreSQL) another: what read caches are invalidated by. */
  changes: TableChanges;
  /** COPY a batch, then a statement of one's own over it (PostgreSQL only: PGlite's COPY reads files, not a stream). */
  staged?: StagedInsert;
  close(): Promise<void>;
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  return opts.databaseUrl === undefined ? openPglite(opts) : openPostgres(opts.databaseUrl, opts);
}

async function openPostgres(url: string, opts: OpenDatabaseOptions): Promise<Database> {
  const target = parsePostgresUrl(url);
  const describe = `PostgreSQL ${target.redacted}`;
  // A dedicated connection, checked before Prisma's pool exists, so a bad URL or a down server fails here
  // with a clear message, and the migration's advisory lock and transaction stay on one session.
  const client = await connectClient(target);
  let dependants: TableDependants;
  try {
    if (opts.migrate !== false) await migrate(pgSession(client), describe, opts);
    dependants = await readTableDependants(pgSession(client));
  } finally {
    await client.end();
  }
  // Our own pool (createPool: no client error can end the process), closed with the client on $disconnect.
  const changes = new TableChanges(false, dependants);
  const listener = new ChangeListener(target, changes, opts.log ?? (() => undefined));
  await listener.start();
  const pool = createPool(target);
  const prisma = new PrismaClient({ adapter: watchWrites(new PrismaPg(pool, { disposeExternalPool: true }), changes) });
  return {
    prisma,
    kind: 'postgres',
    describe,
    changes,
    // Same pool as Prisma's: one connection limit. Its writes pass by watchWrites; the tables it is used for
    // (TelemetryWindow) are not read through a cache.
    staged: stagedInsert(pool),
    close: once(async () => {
      await listener.close();
      await prisma.$disconnect();
    }),
  };
}

async function openPglite(opts: OpenDatabaseOptions): Promise<Database> {
  const dir = resolve(opts.dataDir, 'pglite');
  const describe = `PGlite ${dir}`;
  mkdirSync(opts.dataDir, { recursive: true });
  const lock = lockDataDir(join(opts.dataDir, 'pglite.lock'), `the PGlite database ${dir}`);
  let db: PGlite | undefined;
  let dependants: TableDependants;
  try {
    try {
      db = await PGlite.create(dir);
    } catch (err) {
      throw new DatabaseError(`cannot open the PGlite database ${dir}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    if (opts.migrate !== false) await migrate(pgliteSession(db), describe, opts);
    dependants = await readTableDependants(pgliteSession(db));
  } catch (err) {
    await db?.close();
    lock.release();
    throw err;
  }
  const pglite = db;
  // The data dir is locked to this process: every change to it passes through this client.
  const changes = new TableChanges(true, dependants);
  const prisma = new PrismaClient({ adapter: watchWrites(new PrismaPGlite(pglite), changes) });
  return {
    prisma,
    kind: 'pglite',
    describe,
    changes,
    close: once(async () => {
      try {
        await prisma.$disconnect();
        await pglite.close();
      } finally {
        lock.release();
      }
    }),
  };
}

async function migrate(session: SqlSession, describe: string, opts: OpenDatabaseOptions): Promise<MigrateResult> {
  const log = opts.log ?? (() => undefined);
  const result = await applyMigrations(session, { migrationsDir: opts.migrationsDir ?? defaultMigrationsDir, log });
  log(
    result.applied.length === 0
      ? `${describe}: schema up to date (${result.alreadyApplied.length} migrations applied earlier)`
      : `${describe}: applied ${result.applied.length} migration(s) (${result.alreadyApplied.length} applied earlier)`,
  );
  return result;
}

/** close() may be called by several shutdown paths; only the first does the work, the others share it. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
