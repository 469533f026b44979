/**
 * Property-based fuzzing (fast-check) of the agent's door for desired state — decodeDesired (bounded parse +
 * contract) then checkDesired (signature, device, freshness, order, size), the two functions the agent runs on
 * every `desired` payload. Properties: it never throws, and it accepts nothing but a genuine, unmodified message.
 * Fixed seeds keep runs reproducible; each property runs ≥ 1,000 inputs and the whole file takes seconds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalJson, generateSigningKeyPair, signDesiredState, type DesiredStateMessage } from '@edgefleet/contracts';
import { checkDesired, decodeDesired, type DesiredCheckContext } from './desired-check';

const key = generateSigningKeyPair();
const other = generateSigningKeyPair();
const NOW = Date.parse('2026-11-30T12:00:00.000Z');
const ctx: DesiredCheckContext = {
  deviceId: 'pi-7', trustedKeys: [{ keyId: key.keyId, publicKeyPem: key.publicKeyPem }], highWater: 5, insecure: false, maxObjectBytes: 1 << 30, now: NOW,
};
const RUNS = { numRuns: 1000, seed: 20261130 };

function genuine(): DesiredStateMessage {
  const msg: Omit<DesiredStateMessage, 'signature'> = {
    v: 1, deviceId: 'pi-7', seq: 6, deploymentId: 'dep-9', issuedAt: '2026-11-30T11:00:00.000Z', expiresAt: '2026-12-01T11:00:00.000Z', keyId: key.keyId,
    artifact: {
      id: 'a1', name: 'mnist', version: '3', precision: 'int8', sha256: 'ab'.repeat(32), size: 123_456, blockSize: 65_536,
      evalSet: { sha256: 'cd'.repeat(32), size: 4096, samples: 100 },
    },
    gates: { maxLatencyP95Ms: 20, minAccuracy: 0.9 },
  };
  return { ...msg, signature: signDesiredState(msg, key.privateKeyPem) };
}

/** decodeDesired + checkDesired as the agent runs them; throws only if they do. */
function door(payload: Buffer): { accepted: boolean; desired?: DesiredStateMessage } {
  const ev = decodeDesired(payload);
  if (ev.kind !== 'desired') return { accepted: false };
  return { accepted: checkDesired(ev.desired, ctx).ok, desired: ev.desired };
}

describe('desired-state door (fast-check)', () => {
  it('accepts the genuine message (the properties below are not vacuous)', () => {
    assert.equal(door(Buffer.from(JSON.stringify(genuine()))).accepted, true);
  });

  it('never throws and accepts nothing on arbitrary bytes and arbitrary JSON', () => {
    const payloads = fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
      fc.string({ maxLength: 512 }).map((s) => Buffer.from(s)),
      fc.jsonValue({ maxDepth: 6 }).map((v) => Buffer.from(JSON.stringify(v))),
      // Deep nesting, up to 100,000 levels of objects or arrays.
      fc.tuple(fc.integer({ min: 1, max: 100_000 }), fc.boolean()).map(([n, arr]) => Buffer.from(arr ? `${'['.repeat(n)}${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`)),
    );
    fc.assert(fc.property(payloads, (p) => !door(p).accepted), RUNS);
  });

  it('accepts a mutated genuine message only when the mutation changed nothing signed', () => {
    const base = genuine();
    const paths: string[][] = [
      ['v'], ['deviceId'], ['seq'], ['deploymentId'], ['issuedAt'], ['expiresAt'], ['keyId'], ['signature'], ['gates', 'minAccuracy'], ['gates', 'maxMemoryMb'],
      ['artifact', 'sha256'], ['artifact', 'size'], ['artifact', 'blockSize'], ['artifact', 'precision'], ['artifact', 'evalSet', 'sha256'], ['artifact', 'evalSet', 'size'],
      ['artifact', 'evalSet'], ['artifact', 'inputs'], ['extra'], ['artifact', 'extra'],
    ];
    const mutation = fc.record({
      path: fc.constantFrom(...paths),
      value: fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 3 }), fc.integer(), fc.string({ maxLength: 80 }), fc.constant('ab'.repeat(32))),
    });
    fc.assert(
      fc.property(mutation, ({ path, value }) => {
        const m = structuredClone(base) as unknown as Record<string, unknown>;
        let at = m;
        for (const k of path.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
        if (value === undefined) delete at[path.at(-1)!];
        else at[path.at(-1)!] = value;
        const r = door(Buffer.from(JSON.stringify(m)));
        if (!r.accepted) return true;
        return canonicalJson(r.desired) === canonicalJson(base);
      }),
      RUNS,
    );
  });

  it('never accepts an unsigned, foreign-signed, replayed, rolled-back or expired message of valid shape', () => {
    const fields = fc.record({
      deviceId: fc.constantFrom('pi-7', 'pi-8', 'x'),
      seq: fc.integer({ min: 1, max: 20 }),
      issuedAtOffsetH: fc.integer({ min: -72, max: 2 }),
      validForH: fc.integer({ min: -2, max: 48 }),
      signer: fc.constantFrom('none', 'other', 'genuine'),
      claimKeyId: fc.constantFrom(key.keyId, other.keyId),
    });
    let accepted = 0;
    fc.assert(
      fc.property(fields, (f) => {
        const issued = NOW + f.issuedAtOffsetH * 3_600_000;
        const msg: Omit<DesiredStateMessage, 'signature'> = {
          ...genuine(), deviceId: f.deviceId, seq: f.seq, keyId: f.claimKeyId,
          issuedAt: new Date(issued).toISOString(), expiresAt: new Date(issued + f.validForH * 3_600_000).toISOString(),
        };
        delete (msg as { signature?: string }).signature;
        const signed = f.signer === 'none' ? msg : { ...msg, signature: signDesiredState(msg, f.signer === 'genuine' ? key.privateKeyPem : other.privateKeyPem) };
        const r = door(Buffer.from(JSON.stringify(signed)));
        const shouldPass = f.signer === 'genuine' && f.claimKeyId === key.keyId && f.deviceId === ctx.deviceId && f.seq >= ctx.highWater
          && issued + f.validForH * 3_600_000 > NOW && f.validForH > 0;
        if (r.accepted) accepted++;
        return r.accepted === shouldPass;
      }),
      RUNS,
    );
    assert.ok(accepted > 0, 'some generated messages were genuine and accepted');
  });

  it('in --insecure-no-signature mode still refuses other devices, expired and older ones', () => {
    const insecure = { ...ctx, insecure: true };
    const base = genuine();
    fc.assert(
      fc.property(fc.constantFrom('pi-8', 'a'), fc.integer({ min: 1, max: 4 }), (deviceId, seq) =>
        !checkDesired({ ...base, deviceId }, insecure).ok && !checkDesired({ ...base, seq }, insecure).ok && !checkDesired({ ...base, expiresAt: '2026-11-30T11:59:59.000Z' }, insecure).ok),
      RUNS,
    );
  });
});
