// Throw-away migrations folders for runner tests.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempMigrations {
  dir: string;
  write(name: string, sql: string): void;
  remove(): void;
}

export function tempMigrations(migrations: Record<string, string>): TempMigrations {
  const dir = mkdtempSync(join(tmpdir(), 'edgefleet-migrations-'));
  const write = (name: string, sql: string): void => {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, 'migration.sql'), sql);
  };
  for (const [name, sql] of Object.entries(migrations)) write(name, sql);
  return { dir, write, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `edgefleet-${prefix}-`));

/** dataDir for PostgreSQL-backed openDatabase calls, which never touch it; never created. */
export const UNUSED_DATA_DIR = join(tmpdir(), 'edgefleet-unused-data-dir');
