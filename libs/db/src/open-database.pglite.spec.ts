import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DatabaseLockedError } from './errors';
import { readMigrations } from './migrations/migration-files';
import { openDatabase } from './open-database';
import { defaultMigrationsDir } from './paths';
import { tempDir } from './test-support/migrations-dir';
import { assertRoundTrip } from './test-support/round-trip';

const migrationNames = readMigrations(defaultMigrationsDir).map((m) => m.name);

describe('openDatabase on PGlite', () => {
  const dataDir = tempDir('pglite');
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('migrates a fresh data dir, round-trips the models, and reopening applies nothing', async () => {
    const logs: string[] = [];
    const db = await openDatabase({ dataDir, log: (l) => logs.push(l) });
    try {
      assert.equal(db.kind, 'pglite');
      assert.equal(db.describe, `PGlite ${join(dataDir, 'pglite')}`);
      assert.deepEqual(logs.filter((l) => l.startsWith('applied migration ')), migrationNames.map((n) => `applied migration ${n}`));
      await assertRoundTrip(db.prisma);
      // Same process, same directory: refused before PGlite touches the files.
      await assert.rejects(openDatabase({ dataDir }), DatabaseLockedError);
    } finally {
      await db.close();
    }
    assert.equal(existsSync(join(dataDir, 'pglite.lock')), false, 'close() releases the lock');

    logs.length = 0;
    const again = await openDatabase({ dataDir, log: (l) => logs.push(l) });
    try {
      assert.equal(logs.some((l) => l.startsWith('applied migration')), false);
      assert.match(logs.join('\n'), /schema up to date/);
      const rows = await again.prisma.$queryRaw<{ migration_name: string }[]>`SELECT migration_name FROM _prisma_migrations ORDER BY migration_name`;
      assert.deepEqual(rows.map((r) => r.migration_name), migrationNames);
      assert.equal(await again.prisma.deployment.count(), 1, 'data written before survives the reopen');
    } finally {
      await again.close();
    }
  });

  test('refuses a data dir held by another live process and names its pid', async () => {
    const dir = tempDir('pglite-locked');
    const lockModule = join(__dirname, 'pglite-lock.js');
    const child = spawn(
      process.execPath,
      ['-e', `require(${JSON.stringify(lockModule)}).lockDataDir(${JSON.stringify(join(dir, 'pglite.lock'))}, 'x'); console.log('locked'); setTimeout(() => {}, 60000);`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
      });
      await assert.rejects(openDatabase({ dataDir: dir }), (err: unknown) => {
        assert.ok(err instanceof DatabaseLockedError);
        assert.equal(err.ownerPid, child.pid);
        assert.match(err.message, new RegExp(`process ${child.pid} `));
        return true;
      });
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
