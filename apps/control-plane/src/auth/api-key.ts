import { hash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Generated keys are `efk_<lookupId>_<secret>`: the lookup id finds the row without trying hashes, the 32-byte
 * secret is what the salted scrypt hash protects. ADMIN_API_KEY may be any string of ≥ 16 characters.
 */
const KEY_FORMAT = /^efk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;

export function generateApiKey(): { key: string; lookupId: string } {
  const lookupId = randomBytes(6).toString('hex');
  return { key: `efk_${lookupId}_${randomBytes(32).toString('base64url')}`, lookupId };
}

/** The lookup id of a key in the generated format, else undefined. */
export const lookupIdOf = (key: string): string | undefined => KEY_FORMAT.exec(key)?.[1];

/** First characters, stored to tell keys apart in listings without revealing them. */
export const apiKeyPrefix = (key: string): string => (lookupIdOf(key) ? key.slice(0, 16) : key.slice(0, 4));

/** Fast digest of a presented key: the in-memory cache key, and how rows of older versions (no salt) stored keys. */
export const sha256Hex = (key: string): string => hash('sha256', key, 'hex');

/** scrypt defaults of node (N=16384, r=8, p=1): tens of ms, paid once per key per cache lifetime, not per request. */
const SCRYPT_KEYLEN = 32;

export function hashApiKey(key: string, salt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    scrypt(key, Buffer.from(salt, 'hex'), SCRYPT_KEYLEN, (err, derived) => (err ? reject(err) : resolve(derived.toString('hex'))));
  });
}

export const newSalt = (): string => randomBytes(16).toString('hex');

/** Whether `key` is the one stored as `{hash, salt}` (salt null: a SHA-256 row from before salted hashes). */
export async function keyMatches(key: string, stored: { hash: string; salt: string | null }): Promise<boolean> {
  const actual = stored.salt === null ? sha256Hex(key) : await hashApiKey(key, stored.salt);
  return sameText(actual, stored.hash);
}

/** Constant-time comparison of two strings. */
export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The key from an `Authorization: Bearer <key>` header, if the header has that form. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
