import { verifyDesiredState, type DesiredStateMessage, type PublicKeyRef } from '@edgefleet/contracts';

export type RefusalCode = 'unsigned' | 'unknown-key' | 'bad-signature' | 'other-device' | 'expired' | 'rollback' | 'too-large';

export type DesiredVerdict = { ok: true } | { ok: false; code: RefusalCode; reason: string };

export interface DesiredCheckContext {
  deviceId: string;
  trustedKeys: readonly PublicKeyRef[];
  /** Highest seq accepted so far (0 before the first). */
  highWater: number;
  /** Skip signature checks (`--insecure-no-signature`); device, freshness, order and size are still checked. */
  insecure: boolean;
  /** Largest model or eval set the device takes (endless-data protection). */
  maxObjectBytes: number;
  now: number;
}

const refuse = (code: RefusalCode, reason: string): DesiredVerdict => ({ ok: false, code, reason });

/**
 * Decides whether a validated desired state may be acted on (TUF/Uptane attack classes): signed by a trusted key,
 * meant for this device, not expired (freeze), newer than every one accepted before (rollback, replay — an
 * operator's deliberate rollback is a new, higher seq), and not larger than the device takes. Pure; never throws.
 * A message with seq equal to the high-water mark is the one already accepted: the caller compares it.
 */
export function checkDesired(msg: DesiredStateMessage, ctx: DesiredCheckContext): DesiredVerdict {
  if (!ctx.insecure) {
    if (!msg.signature) return refuse('unsigned', 'desired state is not signed');
    if (!ctx.trustedKeys.some((k) => k.keyId === msg.keyId)) return refuse('unknown-key', `desired state is signed by key ${msg.keyId}, which this device does not trust`);
    if (!verifyDesiredState(msg, ctx.trustedKeys)) return refuse('bad-signature', `desired state signature does not verify with key ${msg.keyId}`);
  }
  if (msg.deviceId !== ctx.deviceId) return refuse('other-device', `desired state is for device ${msg.deviceId}, not ${ctx.deviceId}`);
  const expires = Date.parse(msg.expiresAt);
  if (!(expires > ctx.now)) return refuse('expired', `desired state expired at ${msg.expiresAt}`);
  if (!(Date.parse(msg.issuedAt) < expires)) return refuse('expired', `desired state is issued (${msg.issuedAt}) after it expires (${msg.expiresAt})`);
  if (msg.seq < ctx.highWater) return refuse('rollback', `desired state seq ${msg.seq} is older than the newest accepted (${ctx.highWater})`);
  const sizes = [msg.artifact.size, msg.artifact.evalSet?.size ?? 0];
  if (sizes.some((s) => s > ctx.maxObjectBytes)) return refuse('too-large', `desired state names an object of ${Math.max(...sizes)} B; this device takes at most ${ctx.maxObjectBytes} B`);
  return { ok: true };
}
