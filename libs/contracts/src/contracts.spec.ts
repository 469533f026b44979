import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BlockRequestMessage, DesiredStateMessage, HelloMessage, ReportMessage, decodeEvalSet, encodeEvalSet,
  generateSigningKeyPair, parseDeviceTopic, parseMessage, signDesiredState, topics, validateAs, verifyDesiredState,
} from './index';

const sha = 'ab'.repeat(32);
const k1 = generateSigningKeyPair();
const desired = (): Omit<DesiredStateMessage, 'signature'> => ({
  v: 1,
  deviceId: 'pi-7',
  seq: 3,
  deploymentId: 'dep-1',
  issuedAt: '2026-11-30T00:00:00.000Z',
  expiresAt: '2026-12-01T00:00:00.000Z',
  keyId: k1.keyId,
  artifact: { id: 'a1', name: 'mnist', version: '1', precision: 'int8', sha256: sha, size: 1234, blockSize: 65536 },
  gates: { maxLatencyP95Ms: 5, minAccuracy: 0.8 },
});

test('topics round-trip through parseDeviceTopic and reject foreign or unsafe topics', () => {
  assert.deepEqual(parseDeviceTopic(topics.report('pi-7')), { deviceId: 'pi-7', kind: 'report' });
  assert.deepEqual(parseDeviceTopic(topics.blockRequest('gw.1')), { deviceId: 'gw.1', kind: 'block-req' });
  assert.equal(parseDeviceTopic(topics.desired('pi-7')), undefined, 'desired is control plane → device');
  assert.equal(parseDeviceTopic('edgefleet/v1/devices/a b/hello'), undefined);
  assert.equal(parseDeviceTopic('other/v1/devices/x/hello'), undefined);
});

test('hello: valid passes, unknown fields, wrong version and bad nested profile are listed', () => {
  const ok = parseMessage(HelloMessage, JSON.stringify({
    v: 1, deviceId: 'pi-1', agentVersion: '0.1.0', profile: { arch: 'arm64', cores: 4, ramMb: 4096 },
  }));
  assert.equal(ok.ok, true);
  const bad = parseMessage(HelloMessage, JSON.stringify({
    v: 2, deviceId: 'pi 1', agentVersion: '0.1.0', extra: true, profile: { arch: 'sparc', cores: 0, ramMb: 4096 },
  }));
  assert.equal(bad.ok, false);
  if (bad.ok) return;
  const text = bad.errors.join('\n');
  for (const needle of ['v', 'deviceId', 'extra', 'profile.arch', 'profile.cores']) {
    assert.match(text, new RegExp(needle.replace('.', '\\.')), `expected an error about ${needle}:\n${text}`);
  }
});

test('parseMessage never throws on garbage', () => {
  for (const payload of ['', 'not json', '[]', 'null', '42', Buffer.from([0xff, 0xfe])]) {
    const r = parseMessage(BlockRequestMessage, payload);
    assert.equal(r.ok, false);
  }
  assert.equal(validateAs(BlockRequestMessage, { v: 1, sha256: sha, index: -1 }).ok, false);
  assert.equal(validateAs(BlockRequestMessage, { v: 1, sha256: sha, index: 3, count: 8 }).ok, true);
});

test('report requires an outcome and bounded accuracy', () => {
  const base = {
    v: 1, deploymentId: 'd', artifactSha256: sha, outcome: 'activated', runs: 100, warmupRuns: 10,
    inputSource: 'eval-set', gateResults: [{ gate: 'minAccuracy', limit: 0.8, measured: 0.9, passed: true }],
    simulated: false, measuredAt: '2026-11-30T00:00:00Z', accuracy: 0.9,
  };
  assert.equal(validateAs(ReportMessage, base).ok, true);
  assert.equal(validateAs(ReportMessage, { ...base, accuracy: 1.5 }).ok, false);
  assert.equal(validateAs(ReportMessage, { ...base, outcome: 'maybe' }).ok, false);
});

test('desired state signatures verify with the right key only, and any change breaks them', () => {
  const k2 = generateSigningKeyPair();
  const msg: DesiredStateMessage = { ...desired(), signature: signDesiredState(desired(), k1.privateKeyPem) };
  assert.equal(verifyDesiredState(msg, [k1.publicKeyPem]), true);
  assert.equal(verifyDesiredState(msg, [k2.publicKeyPem]), false);
  assert.equal(verifyDesiredState(msg, ['not a key', k1.publicKeyPem]), true, 'rotation list: a bad entry is skipped');
  assert.equal(verifyDesiredState({ ...msg, artifact: { ...msg.artifact, size: 1235 } }, [k1.publicKeyPem]), false);
  assert.equal(verifyDesiredState({ ...desired() } as DesiredStateMessage, [k1.publicKeyPem]), false, 'unsigned');
  // Key order in the JSON must not matter: the signature covers canonical JSON.
  const reordered = JSON.parse(JSON.stringify({ ...msg, gates: msg.gates, signature: msg.signature, artifact: msg.artifact, v: 1 }));
  assert.equal(verifyDesiredState(reordered, [k1.publicKeyPem]), true);
  // The keyId picks the key: a signature by k1 claimed to be by k2 verifies with neither.
  assert.equal(verifyDesiredState({ ...msg, keyId: k2.keyId }, [k1.publicKeyPem, k2.publicKeyPem]), false);
  for (const field of ['deviceId', 'seq', 'expiresAt', 'keyId'] as const) {
    const missing: Record<string, unknown> = { ...msg };
    delete missing[field];
    assert.equal(validateAs(DesiredStateMessage, missing).ok, false, `${field} is required`);
  }
  assert.equal(validateAs(DesiredStateMessage, msg).ok, true);
});

test('eval set codec round-trips and refuses corrupt files', () => {
  const set = { inputName: 'input', sampleShape: [1, 2, 2], numClasses: 3, n: 3, x: Float32Array.from({ length: 12 }, (_, i) => i / 12), y: Int32Array.from([0, 2, 1]) };
  const bytes = encodeEvalSet(set);
  const back = decodeEvalSet(bytes);
  assert.deepEqual(back.sampleShape, [1, 2, 2]);
  assert.deepEqual(Array.from(back.y), [0, 2, 1]);
  assert.deepEqual(Array.from(back.x), Array.from(set.x));
  assert.throws(() => decodeEvalSet(bytes.subarray(0, bytes.length - 1)), /truncated/);
  assert.throws(() => decodeEvalSet(Buffer.from('EFEX0000000000000000')), /magic/);
  const badLabel = Buffer.from(bytes);
  badLabel.writeInt32LE(7, badLabel.length - 4);
  assert.throws(() => decodeEvalSet(badLabel), /label 7/);
});
