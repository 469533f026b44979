import { createPrivateKey, generateKeyPairSync, KeyObject, sign, verify } from 'node:crypto';
import canonicalize from 'canonicalize';
import { keyIdOf, publicKeyObject } from './key-id';
import type { DesiredStateMessage } from './messages';

/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): object keys sorted by their UTF-16 code units, no whitespace,
 * strings and numbers as ECMAScript's JSON.stringify writes them. The `canonicalize` package is by the RFC's
 * author (2.x: later majors are ESM-only and need Node ≥ 22; the input is already bounded in depth and free of lone
 * surrogates); docs/security.md ("Signed updates") spells the rules out with a test vector. Throws on NaN/Infinity.
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
}

/** The bytes the control plane signs: JCS of the whole desired state except the signature itself, as UTF-8. */
export function signingPayload(msg: Omit<DesiredStateMessage, 'signature'> & { signature?: string }): Buffer {
  const { signature: _ignored, ...rest } = msg;
  return Buffer.from(canonicalJson(rest), 'utf8');
}

export function signDesiredState(msg: Omit<DesiredStateMessage, 'signature'>, privateKeyPem: string | KeyObject): string {
  const key = typeof privateKeyPem === 'string' ? createPrivateKey(privateKeyPem) : privateKeyPem;
  return sign(null, signingPayload(msg), key).toString('base64');
}

/** A public key a device trusts, with its id (keyIdOf). */
export interface PublicKeyRef {
  keyId: string;
  publicKeyPem: string;
}

/** PEM strings get their derived id; refs are taken as they are. */
export const asKeyRef = (k: string | PublicKeyRef): PublicKeyRef | undefined => {
  if (typeof k !== 'string') return k;
  try {
    return { keyId: keyIdOf(k), publicKeyPem: k };
  } catch {
    return undefined; // not a public key: it verifies nothing
  }
};

/** True when `signature` over `payload` was made by the trusted key named `keyId`. */
export function verifyWithKeyId(payload: Buffer, keyId: string, signature: string, trusted: ReadonlyArray<string | PublicKeyRef>): boolean {
  const sig = Buffer.from(signature, 'base64');
  return trusted.some((t) => {
    const k = asKeyRef(t);
    if (!k || k.keyId !== keyId) return false;
    try {
      return verify(null, payload, publicKeyObject(k.publicKeyPem), sig);
    } catch {
      return false; // a malformed key in the list must not hide a valid one after it
    }
  });
}

/** True when `msg.signature` was made by the trusted key `msg.keyId` names (a list allows key rotation). */
export function verifyDesiredState(msg: DesiredStateMessage, trusted: ReadonlyArray<string | PublicKeyRef>): boolean {
  if (!msg.signature) return false;
  return verifyWithKeyId(signingPayload(msg), msg.keyId, msg.signature, trusted);
}

export function generateSigningKeyPair(): { privateKeyPem: string; publicKeyPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKeyPem, keyId: keyIdOf(publicKeyPem) };
}
