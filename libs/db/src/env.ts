// The one place the database layer reads the environment (its CLIs and test helpers only;
// openDatabase itself takes everything as arguments).
import { resolve } from 'node:path';

export interface DbEnv {
  /** DATABASE_URL: PostgreSQL when set, PGlite otherwise. */
  databaseUrl?: string;
  /** DATA_DIR (default ./data), absolute. PGlite lives in <dataDir>/pglite. */
  dataDir: string;
  /** MIGRATIONS_DIR: overrides prisma/migrations. */
  migrationsDir?: string;
  /** TEST_DATABASE_URL: server + database the test helpers create temporary databases from. */
  testDatabaseUrl: string;
  /** CI=true: tests that need PostgreSQL must fail rather than skip when it is down. */
  ci: boolean;
  /** UPDATE_SQL_SNAPSHOTS=1: the SQL snapshot tests rewrite their .sql files instead of comparing. */
  updateSqlSnapshots: boolean;
}

export const DEFAULT_TEST_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/test';

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

export function readDbEnv(env: NodeJS.ProcessEnv = process.env): DbEnv {
  const migrationsDir = nonEmpty(env.MIGRATIONS_DIR);
  return {
    databaseUrl: nonEmpty(env.DATABASE_URL),
    dataDir: resolve(nonEmpty(env.DATA_DIR) ?? 'data'),
    migrationsDir: migrationsDir === undefined ? undefined : resolve(migrationsDir),
    testDatabaseUrl: nonEmpty(env.TEST_DATABASE_URL) ?? DEFAULT_TEST_DATABASE_URL,
    ci: env.CI === 'true' || env.CI === '1',
    updateSqlSnapshots: env.UPDATE_SQL_SNAPSHOTS === '1',
  };
}
