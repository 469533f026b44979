import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTransientDatabaseError } from './transient-error';

const withCode = (message: string, code: string, cause?: unknown) => Object.assign(new Error(message, { cause }), { code });

test('connection loss, pool timeouts, shutdowns and conflicts are transient — also wrapped in a cause chain', () => {
  for (const err of [
    withCode('connect ECONNREFUSED 127.0.0.1:5999', 'ECONNREFUSED'),
    withCode('read ECONNRESET', 'ECONNRESET'),
    new Error('Connection terminated unexpectedly'),
    withCode('terminating connection due to administrator command', '57P01'),
    withCode('the database system is starting up', '57P03'),
    withCode('Timed out fetching a new connection from the connection pool', 'P2024'),
    withCode('could not serialize access due to concurrent update', '40001'),
    withCode('deadlock detected', '40P01'),
    Object.assign(new Error('boom'), { name: 'PrismaClientInitializationError' }),
    new Error('Invalid `prisma.deploymentDevice.update()` invocation', { cause: withCode('connect ECONNREFUSED', 'ECONNREFUSED') }),
    new Error('driver error', { cause: { kind: 'postgres', code: '08006', message: 'connection failure' } }),
  ]) assert.ok(isTransientDatabaseError(err), err.message);
});

test('validation, constraint and unknown errors are permanent', () => {
  for (const err of [
    withCode('Unique constraint failed on the fields: (`id`)', 'P2002'),
    withCode('Foreign key constraint violated', 'P2003'),
    withCode('value too long for type character varying(64)', '22001'),
    withCode('invalid byte sequence for encoding "UTF8": 0x00', '22021'),
    new TypeError('Cannot read properties of undefined'),
    undefined,
    'a string',
  ]) assert.equal(isTransientDatabaseError(err), false, String((err as Error)?.message ?? err));
});
