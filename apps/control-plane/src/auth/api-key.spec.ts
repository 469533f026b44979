import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiKeyPrefix, bearerToken, generateApiKey, hashApiKey, keyMatches, lookupIdOf, newSalt, sha256Hex } from './api-key';
import { roleAllows } from './roles';

test('bearerToken reads only well-formed Authorization headers', () => {
  assert.equal(bearerToken('Bearer abc.def'), 'abc.def');
  assert.equal(bearerToken('bearer   abc  '), 'abc');
  assert.equal(bearerToken('Basic abc'), undefined);
  assert.equal(bearerToken('Bearer'), undefined);
  assert.equal(bearerToken('Bearer a b'), undefined);
  assert.equal(bearerToken(undefined), undefined);
});

test('generated keys carry their lookup id, are unique and long', () => {
  const a = generateApiKey();
  assert.notEqual(a.key, generateApiKey().key);
  assert.ok(a.key.length >= 60);
  assert.equal(lookupIdOf(a.key), a.lookupId);
  assert.equal(apiKeyPrefix(a.key), `efk_${a.lookupId}`);
  assert.equal(lookupIdOf('a-key-of-sixteen-chars'), undefined);
  assert.equal(apiKeyPrefix('a-key-of-sixteen-chars'), 'a-ke');
});

test('keys are stored as salted scrypt hashes; SHA-256 rows of older versions still match', async () => {
  const { key } = generateApiKey();
  const salt = newSalt();
  const hash = await hashApiKey(key, salt);
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.notEqual(hash, await hashApiKey(key, newSalt()), 'another salt, another hash');
  assert.equal(await keyMatches(key, { hash, salt }), true);
  assert.equal(await keyMatches(`${key}x`, { hash, salt }), false);
  assert.equal(await keyMatches(key, { hash: sha256Hex(key), salt: null }), true);
  assert.equal(await keyMatches(key, { hash: sha256Hex('other'), salt: null }), false);
});

test('roles: viewer reads, operator changes the fleet and enrolls, enroller only enrolls, admin everything', () => {
  assert.equal(roleAllows('viewer', ['viewer']), true);
  assert.equal(roleAllows('viewer', ['operator']), false);
  assert.equal(roleAllows('viewer', ['enroller']), false);
  assert.equal(roleAllows('operator', ['viewer']), true);
  assert.equal(roleAllows('operator', ['operator']), true);
  assert.equal(roleAllows('operator', ['enroller']), true);
  assert.equal(roleAllows('operator', ['admin']), false);
  assert.equal(roleAllows('enroller', ['enroller']), true);
  assert.equal(roleAllows('enroller', ['viewer']), false);
  assert.equal(roleAllows('enroller', ['operator']), false);
  for (const r of [['viewer'], ['operator'], ['enroller'], ['admin']] as const) assert.equal(roleAllows('admin', r), true);
});
