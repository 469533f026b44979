import { createHash, pbkdf2, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: ScryptOptions) => Promise<Buffer>;
const pbkdf2Async = promisify(pbkdf2);

/** Headroom over 128·N·r bytes when verifying the scrypt hashes stored before `sha256$` (N = 2^14, r = 8, p = 1 then). */
const SCRYPT_MAXMEM_FLOOR = 1024 * 1024;
/**
 * Mosquitto only understands PBKDF2-SHA512 (`$7$` in its password file, the same fields in the
 * dynamic-security plugin). Its own tool uses 101 iterations; we store more, which it accepts. (EMQX's built-in
 * database takes one iteration count for every user: docs/security.md — keep it fixed.)
 */
export const BROKER_HASH_ITERATIONS = 20_000;

/** A new device password: 32 random bytes, base64url (43 characters). */
export const generateSecret = (prefix = ''): string => `${prefix}${randomBytes(32).toString('base64url')}`;

const sha256 = (salt: Buffer, secret: string): Buffer => createHash('sha256').update(salt).update(secret, 'utf8').digest();

/**
 * `sha256$salt$hash` with a fresh 16-byte salt. Only for secrets the control plane generates (generateSecret: 256
 * random bits): a slow KDF protects a guessable, human-chosen password against guessing, and a 2^256 space cannot be
 * guessed at any speed — the way token services store API tokens. scrypt cost 51 ms of CPU per device for nothing
 * (a 5,000-device fleet's enrollment: 4 minutes of one core). Admin API keys, which may be chosen by a person
 * (ADMIN_API_KEY), keep scrypt (auth/api-key.ts).
 */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  return ['sha256', salt.toString('base64'), sha256(salt, secret).toString('base64')].join('$');
}

/**
 * Constant-time check of a secret against hashSecret's output, or against the `scrypt$N$r$p$salt$hash` of a
 * credential issued before it; false for anything malformed.
 */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length === 3 && parts[0] === 'sha256') {
    const expected = Buffer.from(parts[2]!, 'base64');
    const got = sha256(Buffer.from(parts[1]!, 'base64'), secret);
    return expected.length === got.length && timingSafeEqual(got, expected);
  }
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (!Number.isInteger(N) || !Number.isInteger(r) || !Number.isInteger(p) || expected.length === 0) return false;
  const got = await scryptAsync(secret, salt, expected.length, { N, r, p, maxmem: 256 * N * r + SCRYPT_MAXMEM_FLOOR });
  return timingSafeEqual(got, expected);
}

export interface BrokerHash {
  /** `$7$<iterations>$<salt b64>$<hash b64>`: a line of a Mosquitto password file after `<username>:`. */
  passwordFileHash: string;
  salt: string;
  hash: string;
  iterations: number;
}

/** PBKDF2-SHA512 with a fresh 12-byte salt, in Mosquitto's `$7$` format. */
export async function brokerHashOf(secret: string): Promise<string> {
  const salt = randomBytes(12);
  const hash = await pbkdf2Async(secret, salt, BROKER_HASH_ITERATIONS, 64, 'sha512');
  return `$7$${BROKER_HASH_ITERATIONS}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** The fields of a `$7$` hash (the dynamic-security plugin stores them separately). */
export function parseBrokerHash(stored: string): BrokerHash | undefined {
  const m = /^\$7\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return undefined;
  return { passwordFileHash: stored, iterations: Number(m[1]), salt: m[2]!, hash: m[3]! };
}
