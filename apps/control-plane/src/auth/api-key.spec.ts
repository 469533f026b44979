import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiKeyPrefix, bearerToken, generateApiKey, hashApiKey } from './api-key';

test('bearerToken reads only well-formed Authorization headers', () => {
  assert.equal(bearerToken('Bearer abc.def'), 'abc.def');
  assert.equal(bearerToken('bearer   abc  '), 'abc');
  assert.equal(bearerToken('Basic abc'), undefined);
  assert.equal(bearerToken('Bearer'), undefined);
  assert.equal(bearerToken('Bearer a b'), undefined);
  assert.equal(bearerToken(undefined), undefined);
});

test('generated keys are unique, long and hash to a stable sha256', () => {
  const a = generateApiKey();
  assert.notEqual(a, generateApiKey());
  assert.ok(a.length >= 40);
  assert.match(hashApiKey(a), /^[0-9a-f]{64}$/);
  assert.equal(hashApiKey(a), hashApiKey(a));
  assert.notEqual(hashApiKey(a), hashApiKey(`${a}x`));
  assert.equal(apiKeyPrefix(a), a.slice(0, 8));
});
