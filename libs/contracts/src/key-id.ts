import { createHash, createPublicKey } from 'node:crypto';

/** A key id: 16 lowercase hex digits. */
export const KEY_ID_PATTERN = /^[a-f0-9]{16}$/;

/**
 * The id of a public key: the first 16 hex digits of the sha256 of its DER SubjectPublicKeyInfo. Derived, never
 * assigned, so a key given to an agent as a bare PEM file (`--trust-key`) has the same id the control plane signs with.
 */
export function keyIdOf(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}
