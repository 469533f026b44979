import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, scryptSync } from 'node:crypto';
import { generateSecret, hashSecret, verifySecret } from './credential-hash';

describe('device secret hashes', () => {
  it('a new secret is stored as a salted SHA-256: its own secret verifies, any other does not, two hashes of one secret differ', async () => {
    const secret = generateSecret('efd_');
    const [a, b] = [await hashSecret(secret), await hashSecret(secret)];
    assert.match(a, /^sha256\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    assert.notEqual(a, b, 'salted');
    assert.equal(await verifySecret(secret, a), true);
    assert.equal(await verifySecret(secret, b), true);
    assert.equal(await verifySecret(`${secret}x`, a), false);
    assert.equal(await verifySecret(secret.slice(0, -1), a), false);
  });

  it('a credential issued before (scrypt$N$r$p$salt$hash) still verifies', async () => {
    const secret = generateSecret('efd_');
    const salt = randomBytes(16);
    const stored = ['scrypt', 16384, 8, 1, salt.toString('base64'), scryptSync(secret, salt, 32, { N: 16384, r: 8, p: 1 }).toString('base64')].join('$');
    assert.equal(await verifySecret(secret, stored), true);
    assert.equal(await verifySecret(`${secret}x`, stored), false);
  });

  it('anything malformed is false, never a throw', async () => {
    const secret = generateSecret();
    for (const stored of ['', 'sha256', 'sha256$$', 'sha256$AAAA$AAAA', 'sha256$x$y$z', 'md5$a$b', 'scrypt$x$8$1$AAAA$AAAA', 'scrypt$16384$8$1$AAAA$']) {
      assert.equal(await verifySecret(secret, stored), false, stored);
    }
  });
});
