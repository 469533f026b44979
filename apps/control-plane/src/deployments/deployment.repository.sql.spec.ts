/**
 * The deployment roll-up's hand-written SQL against the committed deployment.repository.sql: the row lock
 * (`FOR UPDATE`) that makes concurrent reports roll a deployment up one after the other. A change shows in
 * review; the behaviour under concurrency is tested on PostgreSQL in deployment-reports.postgres.int.spec.ts.
 */
import { test } from 'node:test';
import { join } from 'node:path';
import { TableChanges, type PrismaClient } from '@edgefleet/db';
import { assertSqlSnapshot, recordRawSql, sourceDirOf } from '@edgefleet/db/dist/sql-snapshot';
import { ReadCache, type Db } from '@edgefleet/platform';
import { DeploymentRepository } from './deployment.repository';

test('the roll-up lock sends the reviewed SQL', async () => {
  const rec = recordRawSql();
  const repo = new DeploymentRepository(rec.db as unknown as PrismaClient, new ReadCache({ changes: new TableChanges(true) }));
  await repo.lock('deployment-1', rec.db as unknown as Db);
  await repo.lockDeviceRow('deployment-1', 'pi-1', rec.db as unknown as Db);
  assertSqlSnapshot(join(sourceDirOf(__dirname), 'deployment.repository.sql'), rec.text());
});
