import { createHash, randomBytes } from 'node:crypto';

/** Keys are random 32-byte secrets; only their SHA-256 is stored (a fast hash is enough for random secrets). */
export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

export const generateApiKey = (): string => `efk_${randomBytes(32).toString('base64url')}`;

/** First characters, stored to tell keys apart in listings without revealing them. */
export const apiKeyPrefix = (key: string): string => key.slice(0, 8);

/** The key from an `Authorization: Bearer <key>` header, if the header has that form. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
