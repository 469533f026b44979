// Creates the next migration folder from the difference between what the existing migrations build and
// what prisma/schema.prisma describes: `prisma migrate dev --create-only`, offline.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MigrationCreateError } from '../errors';
import { defaultMigrationsDir, defaultSchemaPath } from '../paths';
import { MIGRATION_LOCK_CONTENT, MIGRATION_LOCK_FILE, readMigrations } from './migration-files';
import { migrationList, openOfflineSchemaEngine } from './schema-engine';

export interface CreateMigrationOptions {
  /** Human part of the folder name, e.g. "add_rollouts". */
  name: string;
  migrationsDir?: string;
  schemaPath?: string;
  /** Write a migration even when the schema did not change (for hand-written SQL). */
  allowEmpty?: boolean;
  /** Only compute the SQL; write nothing. */
  dryRun?: boolean;
  now?: Date;
  log?: (line: string) => void;
}

export interface CreateMigrationResult {
  /** The SQL Prisma's engine produced (Prisma's "-- This is an empty migration." when nothing changed). */
  sql: string;
  empty: boolean;
  /** Folder name and path, when one was written. */
  migrationName?: string;
  folder?: string;
}

/** Schema diff between the migrations folder and the schema file, as a migration script. */
export async function diffMigrationsToSchema(
  migrationsDir: string,
  schemaPath: string,
  log?: (line: string) => void,
): Promise<{ sql: string; empty: boolean }> {
  const schema = readSchema(schemaPath);
  const from = migrationList(migrationsDir);
  const { engine, close } = await openOfflineSchemaEngine(schemaPath, schema, log);
  try {
    const result = await engine.diff({
      from: { tag: 'migrations', ...from },
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
      script: true,
      exitCode: true, // 2 = the diff is not empty
      filters: { externalTables: [], externalEnums: [] },
    });
    return { sql: result.stdout ?? '', empty: result.exitCode !== 2 };
  } finally {
    await close();
  }
}

export async function createMigration(opts: CreateMigrationOptions): Promise<CreateMigrationResult> {
  const migrationsDir = opts.migrationsDir ?? defaultMigrationsDir;
  const schemaPath = opts.schemaPath ?? defaultSchemaPath;
  if (!opts.dryRun) mkdirSync(migrationsDir, { recursive: true });
  const { sql, empty } = await diffMigrationsToSchema(migrationsDir, schemaPath, opts.log);
  if ((empty && !opts.allowEmpty) || opts.dryRun) return { sql, empty };

  const migrationName = `${timestamp(opts.now ?? new Date())}_${sanitizeName(opts.name)}`;
  const last = readMigrations(migrationsDir).at(-1)?.name;
  if (last !== undefined && last >= migrationName) {
    // Migrations apply in name order: a new one must sort last or it would never run on existing databases.
    throw new MigrationCreateError(`new migration ${migrationName} would sort before the existing ${last}; check the clock`);
  }
  const folder = join(migrationsDir, migrationName);
  mkdirSync(folder);
  writeFileSync(join(folder, 'migration.sql'), sql);
  const lockPath = join(migrationsDir, MIGRATION_LOCK_FILE);
  if (!existsSync(lockPath)) writeFileSync(lockPath, MIGRATION_LOCK_CONTENT);
  return { sql, empty, migrationName, folder };
}

/** Prisma's folder prefix: UTC YYYYMMDDHHMMSS. */
const timestamp = (d: Date): string => d.toISOString().replace(/[-:T]/g, '').slice(0, 14);

/** Prisma keeps [A-Za-z0-9_] in migration names and replaces the rest. */
function sanitizeName(name: string): string {
  const clean = name.trim().replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 200);
  if (clean === '') throw new MigrationCreateError(`migration name "${name}" has no usable characters (use letters, digits, _)`);
  return clean;
}

function readSchema(path: string): string {
  if (!existsSync(path)) throw new MigrationCreateError(`Prisma schema not found: ${path}`);
  return readFileSync(path, 'utf8');
}
