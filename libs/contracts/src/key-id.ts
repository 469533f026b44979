import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

/** A key id: 16 lowercase hex digits. */
export const KEY_ID_PATTERN = /^[a-f0-9]{16}$/;

/**
 * The id of a public key: the first 16 hex digits of the sha256 of its DER SubjectPublicKeyInfo. Derived, never
 * assigned, so a key given to an agent as a bare PEM file (`--trust-key`) has the same id the control plane signs with.
 */
export function keyIdOf(publicKeyPem: string): string {
  let id = keyIds.get(publicKeyPem);
  if (id === undefined) {
    const der = publicKeyObject(publicKeyPem).export({ type: 'spki', format: 'der' });
    id = createHash('sha256').update(der).digest('hex').slice(0, 16);
    remember(keyIds, publicKeyPem, id);
  }
  return id;
}

/**
 * The KeyObject of a PEM public key, parsed once: an agent checks every desired state against its trusted keys, and
 * parsing the PEM (and deriving its id) on each check was most of that check's cost (a thousand simulated agents in
 * one process spent seconds in createPublicKey). A PEM is immutable text, so the cache can never be stale; a PEM
 * that does not parse throws, as createPublicKey does, and is not kept.
 */
export function publicKeyObject(publicKeyPem: string): KeyObject {
  let k = keyObjects.get(publicKeyPem);
  if (k === undefined) {
    k = createPublicKey(publicKeyPem);
    remember(keyObjects, publicKeyPem, k);
  }
  return k;
}

/** Bounded: a process sees a handful of keys; past the bound the cache starts over (a bound, not a policy). */
const KEY_CACHE_MAX = 256;
const keyIds = new Map<string, string>();
const keyObjects = new Map<string, KeyObject>();

function remember<V>(m: Map<string, V>, k: string, v: V): void {
  if (m.size >= KEY_CACHE_MAX) m.clear();
  m.set(k, v);
}
