import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatabaseUnreachableError, InvalidDatabaseUrlError } from './errors';
import { openDatabase } from './open-database';
import { parsePostgresUrl } from './postgres-target';
import { UNUSED_DATA_DIR } from './test-support/migrations-dir';

test('parsePostgresUrl names host:port and database and hides the password', () => {
  const t = parsePostgresUrl('postgresql://app:s3cret@db.internal:6543/fleet?sslmode=require');
  assert.equal(t.address, 'db.internal:6543');
  assert.equal(t.database, 'fleet');
  assert.equal(t.redacted.includes('s3cret'), false);
  assert.equal(parsePostgresUrl('postgres://u@h/d').address, 'h:5432');
});

test('a URL that is not PostgreSQL is refused before connecting', async () => {
  await assert.rejects(openDatabase({ databaseUrl: 'mysql://root@localhost/x', dataDir: UNUSED_DATA_DIR }), InvalidDatabaseUrlError);
  await assert.rejects(openDatabase({ databaseUrl: 'not a url', dataDir: UNUSED_DATA_DIR }), InvalidDatabaseUrlError);
});

test('an unreachable server is named by host:port', async () => {
  await assert.rejects(openDatabase({ databaseUrl: 'postgresql://postgres:pw@127.0.0.1:1/x', dataDir: UNUSED_DATA_DIR }), (err: unknown) => {
    assert.ok(err instanceof DatabaseUnreachableError);
    assert.equal(err.target, '127.0.0.1:1');
    assert.match(err.message, /cannot connect to PostgreSQL at 127\.0\.0\.1:1 .*connection refused/);
    assert.equal(err.message.includes(':pw@'), false, 'password not printed');
    return true;
  });
});
