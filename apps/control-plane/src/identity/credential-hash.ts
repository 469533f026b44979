import { pbkdf2, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: ScryptOptions) => Promise<Buffer>;
const pbkdf2Async = promisify(pbkdf2);

/** scrypt cost: N = 2^14, r = 8, p = 1 (16 MiB, ~40 ms here): the parameters node:crypto and OWASP recommend. */
const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;
/**
 * Mosquitto only understands PBKDF2-SHA512 (`$7$` in its password file, the same fields in the
 * dynamic-security plugin). Its own tool uses 101 iterations; we store more, which it accepts.
 */
export const BROKER_HASH_ITERATIONS = 20_000;

/** A new device password: 32 random bytes, base64url (43 characters). */
export const generateSecret = (prefix = ''): string => `${prefix}${randomBytes(32).toString('base64url')}`;

/** `scrypt$N$r$p$salt$hash` with a fresh 16-byte salt. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(secret, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Constant-time check of a secret against hashSecret's output; false for anything malformed. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (!Number.isInteger(N) || !Number.isInteger(r) || !Number.isInteger(p) || expected.length === 0) return false;
  const got = await scryptAsync(secret, salt, expected.length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
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
