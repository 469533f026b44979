import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from 'node:crypto';
import type { DesiredStateMessage } from './messages';

/** JSON with sorted keys and no whitespace, so both sides sign and verify the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The bytes the control plane signs: the whole desired state except the signature itself. */
export function signingPayload(msg: Omit<DesiredStateMessage, 'signature'> & { signature?: string }): Buffer {
  const { signature: _ignored, ...rest } = msg;
  return Buffer.from(canonicalJson(rest), 'utf8');
}

export function signDesiredState(msg: Omit<DesiredStateMessage, 'signature'>, privateKeyPem: string | KeyObject): string {
  const key = typeof privateKeyPem === 'string' ? createPrivateKey(privateKeyPem) : privateKeyPem;
  return sign(null, signingPayload(msg), key).toString('base64');
}

/** True when `msg.signature` was made by one of the trusted keys (a list allows key rotation). */
export function verifyDesiredState(msg: DesiredStateMessage, trustedPublicKeysPem: string[]): boolean {
  if (!msg.signature) return false;
  const sig = Buffer.from(msg.signature, 'base64');
  const payload = signingPayload(msg);
  return trustedPublicKeysPem.some((pem) => {
    try {
      return verify(null, payload, createPublicKey(pem), sig);
    } catch {
      return false; // a malformed key in the list must not hide a valid one after it
    }
  });
}

export function generateSigningKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
