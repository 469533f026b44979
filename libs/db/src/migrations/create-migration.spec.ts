import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultMigrationsDir, defaultSchemaPath } from '../paths';
import { tempDir } from '../test-support/migrations-dir';
import { createMigration, diffMigrationsToSchema } from './create-migration';
import { MIGRATION_LOCK_FILE } from './migration-files';

test('prisma/migrations builds exactly prisma/schema.prisma (a schema change needs `npm run db:migration -- <name>`)', async () => {
  const { empty, sql } = await diffMigrationsToSchema(defaultMigrationsDir, defaultSchemaPath);
  assert.equal(empty, true, `schema.prisma differs from the migrations; the missing migration would be:\n${sql}`);
});

test('creates the first migration in an empty folder, then finds nothing more to do', async (t) => {
  const dir = tempDir('create-migration');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const now = new Date('2030-01-02T03:04:05Z');
  const first = await createMigration({ name: 'first try!', migrationsDir: dir, now });
  assert.equal(first.migrationName, '20300102030405_first_try');
  const sql = readFileSync(join(dir, '20300102030405_first_try', 'migration.sql'), 'utf8');
  assert.match(sql, /CREATE TABLE "Device"/);
  assert.match(sql, /CREATE TYPE "DeploymentDeviceState" AS ENUM/);
  assert.equal(existsSync(join(dir, MIGRATION_LOCK_FILE)), true);

  const second = await createMigration({ name: 'nothing', migrationsDir: dir, now: new Date('2030-01-03T00:00:00Z') });
  assert.equal(second.empty, true);
  assert.equal(second.folder, undefined);
});
