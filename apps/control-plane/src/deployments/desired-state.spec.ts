import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DesiredStateMessage, validateAs } from '@edgefleet/contracts';
import { blockCount, buildDesiredState, ManifestSource } from './desired-state';

const artifact = (over: Partial<ManifestSource> = {}): ManifestSource => ({
  id: 'a1', name: 'mlp', version: '1', precision: 'int8', sha256: 'ab'.repeat(32), sizeBytes: 200_000,
  inputs: [{ name: 'x', type: 'float32', dims: ['batch', 784] }], evalSetSha256: 'cd'.repeat(32), evalSetSize: 4096, evalSamples: 100,
  ...over,
});
const deployment = { id: 'dep-1', gates: { maxLatencyP95Ms: 5 } };
// What OtaService.sign adds around it.
const envelope = { v: 1, deviceId: 'pi-1', seq: 1, issuedAt: '2026-11-30T00:00:00.000Z', expiresAt: '2026-12-01T00:00:00.000Z', keyId: '0123456789abcdef' };

test('the desired state built from an artifact passes the contract the agents validate', () => {
  const d = buildDesiredState(deployment, artifact(), 65536);
  const checked = validateAs(DesiredStateMessage, { ...d, ...envelope });
  assert.ok(checked.ok, JSON.stringify(checked));
  assert.equal(d.artifact.blockSize, 65536);
  assert.deepEqual(d.artifact.evalSet, { sha256: 'cd'.repeat(32), size: 4096, samples: 100 });
});

test('no eval set → no evalSet ref', () => {
  const d = buildDesiredState(deployment, artifact({ evalSetSha256: null, evalSetSize: null, evalSamples: null }), 65536);
  assert.equal(d.artifact.evalSet, undefined);
  assert.ok(validateAs(DesiredStateMessage, { ...d, ...envelope }).ok);
});

test('the model\'s input spec travels in the signed manifest', () => {
  const inputSpec = { inputs: { sr: { value: 16000 }, state: { shape: [2, 1, 128], fill: 'zeros', stateFrom: 'stateN' } } };
  const d = buildDesiredState(deployment, artifact({ inputSpec }), 65536);
  assert.deepEqual(d.artifact.inputSpec, inputSpec);
  assert.ok(validateAs(DesiredStateMessage, { ...d, ...envelope }).ok);
  assert.equal(buildDesiredState(deployment, artifact({ inputSpec: null }), 65536).artifact.inputSpec, undefined);
});

test('blockCount rounds up', () => {
  assert.equal(blockCount(1, 65536), 1);
  assert.equal(blockCount(65536, 65536), 1);
  assert.equal(blockCount(65537, 65536), 2);
});
