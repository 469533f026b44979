/**
 * The autopilot's lease on a (target, class) pair — hand-written SQL judged by the database's clock — against
 * the committed autopilot.repository.sql, so a change shows in review. Behaviour: autopilot.pglite.int.spec.ts.
 */
import { test } from 'node:test';
import { join } from 'node:path';
import type { PrismaClient } from '@edgefleet/db';
import { assertSqlSnapshot, recordRawSql, sourceDirOf } from '@edgefleet/db/dist/sql-snapshot';
import type { Db } from '@edgefleet/platform';
import { AutopilotRepository } from './autopilot.repository';

test('acquiring a pair\'s lease sends the reviewed SQL', async () => {
  const rec = recordRawSql({ count: 1 });
  // The lease row is created first if missing (a Prisma createMany, not hand-written SQL).
  const db = { ...rec.db, targetClassState: { createMany: async () => ({ count: 0 }) } };
  await new AutopilotRepository(db as unknown as PrismaClient).acquire('target-1', 'class-1', 'owner-1', 60_000, db as unknown as Db);
  assertSqlSnapshot(join(sourceDirOf(__dirname), 'autopilot.repository.sql'), rec.text());
});
