export * from './generated/prisma/client';
export * from './errors';
export { applyMigrations, PRISMA_MIGRATE_LOCK_ID, type MigrateOptions, type MigrateResult } from './migrate';
export { pgSession, pgliteSession, type SqlSession } from './migrations/sql-session';
export { readMigrations, migrationChecksum, type MigrationFile } from './migrations/migration-files';
export { defaultMigrationsDir, defaultSchemaPath } from './paths';
export { openDatabase, type Database, type OpenDatabaseOptions } from './open-database';
export { parsePostgresUrl, type PostgresTarget } from './postgres-target';
export { createMigration, diffMigrationsToSchema, type CreateMigrationOptions, type CreateMigrationResult } from './migrations/create-migration';
