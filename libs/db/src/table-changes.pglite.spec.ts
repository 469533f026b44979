import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { openDatabase, type Database } from './open-database';
import { tempDir } from './test-support/migrations-dir';

const device = (id: string) => ({ id, name: id, tags: [], profile: {}, profileClass: 'c' });

describe('table changes on PGlite (the real adapter and migrations)', () => {
  const dataDir = tempDir('table-changes');
  let db: Database;
  before(async () => {
    db = await openDatabase({ dataDir });
  });
  after(async () => {
    await db?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a write outside a transaction moves its table\'s stamp by the time it returns; a read moves nothing', async () => {
    const s = db.changes.stamp(['Device']);
    await db.prisma.device.findMany();
    assert.equal(db.changes.stamp(['Device']), s);
    await db.prisma.device.create({ data: device('a') });
    const s1 = db.changes.stamp(['Device']);
    assert.notEqual(s1, s);
    await db.prisma.$executeRaw`UPDATE "Device" SET "name" = 'renamed' WHERE "id" = 'a'`;
    assert.notEqual(db.changes.stamp(['Device']), s1);
  });

  test('deleting a device counts as a change to the deployment rows its delete cascades to', async () => {
    await db.prisma.device.create({ data: device('cascade') });
    const s = db.changes.stamp(['DeploymentDevice']);
    await db.prisma.device.delete({ where: { id: 'cascade' } });
    assert.notEqual(db.changes.stamp(['DeploymentDevice']), s);
  });

  test('a transaction\'s writes count once it commits, and not at all when it rolls back', async () => {
    const s = db.changes.stamp(['Device']);
    const other = db.changes.stamp(['Deployment']);
    await db.prisma.$transaction(async (tx) => {
      await tx.device.create({ data: device('b') });
      assert.equal(db.changes.stamp(['Device']), s, 'not before the commit: readers outside still see the old rows');
    });
    const s1 = db.changes.stamp(['Device']);
    assert.notEqual(s1, s);
    assert.equal(db.changes.stamp(['Deployment']), other);
    await assert.rejects(db.prisma.$transaction(async (tx) => {
      await tx.device.create({ data: device('c') });
      throw new Error('roll back');
    }), /roll back/);
    assert.equal(db.changes.stamp(['Device']), s1);
  });
});
