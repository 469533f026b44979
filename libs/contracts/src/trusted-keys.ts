import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBase64, IsIn, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { IsInstant } from './instant';
import { KEY_ID_PATTERN } from './key-id';
import { canonicalJson, verifyWithKeyId, type PublicKeyRef } from './signing';

/** One key desired states may be signed with. */
export class TrustedKey {
  @Matches(KEY_ID_PATTERN)
  keyId!: string;

  @IsIn(['ed25519'])
  algorithm!: 'ed25519';

  @IsString() @MaxLength(1024) @Matches(/^-----BEGIN PUBLIC KEY-----/)
  publicKeyPem!: string;

  /** Set on a key being retired: devices should not expect signatures by it after this. */
  @IsOptional() @IsInstant()
  notAfter?: string;
}

export class KeySetSignature {
  @Matches(KEY_ID_PATTERN)
  keyId!: string;

  @IsBase64() @MaxLength(128)
  signature!: string;
}

/**
 * `GET /api/v1/trusted-keys`: the keys the control plane signs with (two during a rotation), signed by every one of
 * them whose private key it holds. A device takes a new set only when a key it already trusts signed it, so fetching
 * it over plain HTTP cannot plant a key (TUF's root rotation, in small).
 */
export class TrustedKeySet {
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(8) @ValidateNested({ each: true }) @Type(() => TrustedKey)
  keys!: TrustedKey[];

  @IsInstant()
  issuedAt!: string;

  @IsArray() @ArrayMaxSize(8) @ValidateNested({ each: true }) @Type(() => KeySetSignature)
  signatures!: KeySetSignature[];
}

/** JCS of the set without its signatures. */
const keySetPayload = (set: Pick<TrustedKeySet, 'keys' | 'issuedAt'>): Buffer =>
  Buffer.from(canonicalJson({ keys: set.keys, issuedAt: set.issuedAt }), 'utf8');

export function signTrustedKeySet(set: Pick<TrustedKeySet, 'keys' | 'issuedAt'>, signers: Array<{ keyId: string; privateKey: KeyObject | string }>): TrustedKeySet {
  const payload = keySetPayload(set);
  const signatures = signers.map((s) => ({
    keyId: s.keyId,
    signature: sign(null, payload, typeof s.privateKey === 'string' ? createPrivateKey(s.privateKey) : s.privateKey).toString('base64'),
  }));
  return { keys: set.keys, issuedAt: set.issuedAt, signatures };
}

/** True when at least one signature on the set is by a key in `trusted`. */
export function verifyTrustedKeySet(set: TrustedKeySet, trusted: ReadonlyArray<string | PublicKeyRef>): boolean {
  const payload = keySetPayload(set);
  return set.signatures.some((s) => verifyWithKeyId(payload, s.keyId, s.signature, trusted));
}
