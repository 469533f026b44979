/**
 * The deployment roll-up's hand-written SQL against the committed deployment.repository.sql: the row lock
 * (`FOR UPDATE`) that makes concurrent reports roll a deployment up one after the other, and the one-statement
 * row lock/update the batched progress path (ProgressWriter) uses. A change shows in
 * review; the behaviour under concurrency is tested on PostgreSQL in deployment-reports.postgres.int.spec.ts.
 */
import { test } from 'node:test';
import { join } from 'node:path';
import { TableChanges, type PrismaClient } from '@edgefleet/db';
import { assertSqlSnapshot, recordRawSql, sourceDirOf } from '@edgefleet/db/dist/sql-snapshot';
import { ReadCache, type Db } from '@edgefleet/platform';
import { DeploymentRepository } from './deployment.repository';

test('the roll-up lock and the batched row reads and writes send the reviewed SQL', async () => {
  const rec = recordRawSql();
  const repo = new DeploymentRepository(rec.db as unknown as PrismaClient, new ReadCache({ changes: new TableChanges(true) }));
  const db = rec.db as unknown as Db;
  await repo.lock('deployment-1', db);
  await repo.lockDeviceRows([{ deploymentId: 'deployment-1', deviceId: 'pi-1' }, { deploymentId: 'deployment-1', deviceId: 'pi-2' }], db);
  await repo.updateDeviceRows([{ id: 'row-1', state: 'downloading', receivedBlocks: 1, totalBlocks: 4 }], db);
  assertSqlSnapshot(join(sourceDirOf(__dirname), 'deployment.repository.sql'), rec.text());
});
