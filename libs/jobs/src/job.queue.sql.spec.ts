/**
 * The job queue's hand-written SQL, as sent to the database, against the committed job.queue.sql: a change to
 * the claim (the `FOR UPDATE SKIP LOCKED` sub-select that keeps two workers off one job), the lease renewal or
 * the expiry shows in review. Their behaviour is tested on PGlite and PostgreSQL in job.queue.*.spec.ts.
 */
import { test } from 'node:test';
import { join } from 'node:path';
import type { PrismaClient } from '@edgefleet/db';
import { assertSqlSnapshot, recordRawSql, sourceDirOf } from '@edgefleet/db/dist/sql-snapshot';
import { JobQueue } from './job.queue';

test('claim, heartbeat, release and expiry send the reviewed SQL', async () => {
  const rec = recordRawSql();
  const queue = new JobQueue(rec.db as unknown as PrismaClient);
  await queue.claim('distill', 'worker-1', 30_000); // expires exhausted leases first, then claims
  await queue.heartbeat('job-1', 'token-1', 30_000, { epoch: 1 });
  await queue.release('job-1', 'token-1').catch(() => undefined); // 0 rows: LeaseLostError, the SQL was sent
  assertSqlSnapshot(join(sourceDirOf(__dirname), 'job.queue.sql'), rec.text());
});
