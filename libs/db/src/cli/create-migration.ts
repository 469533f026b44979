// npm run db:migration -- <name> [--allow-empty] [--dry-run]
// Writes prisma/migrations/<timestamp>_<name>/migration.sql with the SQL that takes a database from the
// existing migrations to prisma/schema.prisma, computed by Prisma's own schema engine (WebAssembly, offline).
import { parseArgs } from 'node:util';
import { readDbEnv } from '../env';
import { isDatabaseError } from '../errors';
import { createMigration } from '../migrations/create-migration';

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { 'allow-empty': { type: 'boolean', default: false }, 'dry-run': { type: 'boolean', default: false } },
  });
  const name = positionals[0];
  if (name === undefined || positionals.length > 1) {
    console.error('usage: npm run db:migration -- <name> [--allow-empty] [--dry-run]');
    process.exitCode = 2;
    return;
  }
  const env = readDbEnv();
  const result = await createMigration({
    name,
    migrationsDir: env.migrationsDir,
    allowEmpty: values['allow-empty'],
    dryRun: values['dry-run'],
  });
  if (values['dry-run']) {
    process.stdout.write(result.sql);
  } else if (result.folder === undefined) {
    console.log('schema.prisma matches the migrations: no migration created (--allow-empty to write one anyway)');
  } else {
    console.log(`created ${result.folder}/migration.sql`);
  }
}

main().catch((err: unknown) => {
  console.error(isDatabaseError(err) ? `db:migration: ${err.message}` : err);
  process.exitCode = 1;
});
