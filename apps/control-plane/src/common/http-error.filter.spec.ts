import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundException } from '@nestjs/common';
import { InvalidInputError } from '@edgefleet/platform';
import { errorBody } from './http-error.filter';

const withCode = (message: string, code: string, cause?: unknown) => Object.assign(new Error(message, { cause }), { code });

test('a database that is away (refused, restarting, lost connection, pool timeout) is a 503 to retry, not a 500', () => {
  for (const err of [
    new Error('Invalid `prisma.deployment.findUnique()` invocation', { cause: withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED') }),
    withCode("Can't reach database server at 127.0.0.1:5432", 'P1001'),
    withCode('the database system is starting up', '57P03'),
    new Error('Connection terminated unexpectedly'),
  ]) {
    const body = errorBody(err, 'c-1');
    assert.equal(body.statusCode, 503, err.message);
    assert.equal(body.error, 'Service Unavailable');
    assert.doesNotMatch(body.message, /5432|prisma/i, 'no internals in the answer');
  }
});

test('domain, HTTP and unknown errors keep their statuses', () => {
  assert.equal(errorBody(new InvalidInputError('bad'), 'c').statusCode, 400);
  assert.equal(errorBody(new NotFoundException('gone'), 'c').statusCode, 404);
  assert.equal(errorBody(withCode('Unique constraint failed', 'P2002'), 'c').statusCode, 500);
  assert.equal(errorBody(new TypeError('x is undefined'), 'c').statusCode, 500);
});
