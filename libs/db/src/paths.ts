// Where the database layer finds the files it needs at run time, resolved from the compiled code
// (libs/db/dist/paths.js), so it works whatever the current directory is.
import { join } from 'node:path';

/** libs/db */
export const packageRoot = join(__dirname, '..');
/** The monorepo root, which holds prisma/. */
export const repoRoot = join(packageRoot, '..', '..');

/** prisma/migrations of this repository. Override with openDatabase({ migrationsDir }) or MIGRATIONS_DIR. */
export const defaultMigrationsDir = join(repoRoot, 'prisma', 'migrations');
export const defaultSchemaPath = join(repoRoot, 'prisma', 'schema.prisma');
