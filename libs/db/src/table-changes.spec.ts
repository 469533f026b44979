import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changedNothing, TableChanges, UNKNOWN_TABLE, writtenTables } from './table-changes';

test('writtenTables names the tables of Prisma writes and hand-written SQL, and none of a read', () => {
  assert.deepEqual(writtenTables('INSERT INTO "public"."Device" ("id","name") VALUES ($1,$2) ON CONFLICT DO NOTHING'), ['Device']);
  assert.deepEqual(writtenTables('UPDATE "public"."Device" SET "name" = $1 WHERE "id" = $2'), ['Device']);
  assert.deepEqual(writtenTables('DELETE FROM "public"."ApiKey" WHERE "id" = $1'), ['ApiKey']);
  assert.deepEqual(writtenTables('WITH moved AS (UPDATE "DeploymentDevice" d SET state = $1 RETURNING d.id) INSERT INTO "AuditEvent" SELECT 1'), ['DeploymentDevice', 'AuditEvent']);
  assert.deepEqual(writtenTables('truncate table "Job"'), ['Job']);
  assert.deepEqual(writtenTables('SELECT "t0"."id" FROM "public"."Device" AS "t0" WHERE "t0"."id" = $1'), []);
  assert.deepEqual(writtenTables('SELECT pg_advisory_xact_lock($1)'), []);
});

test('a plain write that affected no row changed nothing; anything else may have', () => {
  const lease = 'UPDATE "Rollout" SET "leaseOwner" = $1 WHERE "state" IN ($2) RETURNING id';
  assert.equal(changedNothing(lease, { columnNames: ['id'], columnTypes: [], rows: [] }), true);
  assert.equal(changedNothing(lease, { columnNames: ['id'], columnTypes: [], rows: [['r1']] }), false);
  assert.equal(changedNothing('UPDATE "public"."Device" SET "name" = $1 WHERE "id" = $2', 0), true);
  assert.equal(changedNothing('  delete from "Job" where id = $1', 0), true);
  assert.equal(changedNothing('UPDATE "public"."Device" SET "name" = $1 WHERE "id" = $2', 1), false);
  // A write without RETURNING returns no rows whether or not it changed any.
  assert.equal(changedNothing('UPDATE "Device" SET "name" = $1', { columnNames: [], columnTypes: [], rows: [] }), false);
  // A data-modifying CTE's rows are not in the statement's count or result.
  assert.equal(changedNothing('WITH d AS (DELETE FROM "Device" RETURNING id) SELECT 1 WHERE false', { columnNames: [], columnTypes: [], rows: [] }), false);
  assert.equal(changedNothing('WITH d AS (DELETE FROM "Device" RETURNING id) UPDATE "Job" SET x = 1 WHERE false', 0), false);
  assert.equal(changedNothing('TRUNCATE "Job"', 0), false);
});

test('a statement that may write but names no table it can read counts as a change to everything', () => {
  assert.deepEqual(writtenTables('CALL refresh_everything()'), [UNKNOWN_TABLE]);
});

test('a stamp moves when one of its tables changes or everything does, not when another table changes', () => {
  const changes = new TableChanges(true);
  const s0 = changes.stamp(['Device']);
  changes.markChanged(['Job']);
  assert.equal(changes.stamp(['Device']), s0);
  changes.markChanged(['Device']);
  const s1 = changes.stamp(['Device', 'Deployment']);
  assert.notEqual(s1, s0);
  changes.markAllChanged();
  assert.notEqual(changes.stamp(['Deployment']), s1);
});

test('a write to a table counts for the tables referencing it, transitively (cascades change rows unnamed)', () => {
  const changes = new TableChanges(true, new Map([['Device', ['DeploymentDevice', 'BenchmarkReport']], ['DeploymentDevice', ['BenchmarkReport', 'Device']]]));
  const s = [changes.stamp(['BenchmarkReport']), changes.stamp(['Deployment'])];
  changes.markChanged(['Device']);
  assert.notEqual(changes.stamp(['BenchmarkReport']), s[0]);
  assert.equal(changes.stamp(['Deployment']), s[1]);
});

test('with remote writers, nothing is reliable until the listener is up, and losing it changes everything', () => {
  const changes = new TableChanges(false);
  assert.equal(changes.reliable, false);
  changes.setRemoteListener(true);
  assert.equal(changes.reliable, true);
  const s = changes.stamp(['Device']);
  changes.setRemoteListener(false);
  assert.equal(changes.reliable, false);
  assert.notEqual(changes.stamp(['Device']), s);
});
