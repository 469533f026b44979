// npm run db:migrate — applies pending migrations to DATABASE_URL (PostgreSQL) or, when unset, to the
// PGlite database in DATA_DIR (default ./data), and prints what it applied.
import { readDbEnv } from '../env';
import { isDatabaseError } from '../errors';
import { openDatabase } from '../open-database';

async function main(): Promise<void> {
  const env = readDbEnv();
  const db = await openDatabase({
    databaseUrl: env.databaseUrl,
    dataDir: env.dataDir,
    migrationsDir: env.migrationsDir,
    log: (line) => console.log(line),
  });
  await db.close();
}

main().catch((err: unknown) => {
  // Known failures are one readable line; anything else keeps its stack.
  console.error(isDatabaseError(err) ? `db:migrate: ${err.message}` : err);
  process.exitCode = 1;
});
