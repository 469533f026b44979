import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceState, rollUpStatus, stateAfterProgress, stateAfterReport, verdictFromDeviceState } from './deployment-state';

test('roll-up: in progress while any device is unfinished', () => {
  for (const unfinished of ['pending', 'downloading', 'verifying', 'benchmarking'] as DeviceState[]) {
    assert.equal(rollUpStatus('in_progress', ['active', 'rejected', unfinished]), 'in_progress');
  }
});

test('roll-up: succeeded / partial / failed once every device finished; superseded devices do not count', () => {
  assert.equal(rollUpStatus('in_progress', ['active', 'active']), 'succeeded');
  assert.equal(rollUpStatus('in_progress', ['active', 'superseded']), 'succeeded');
  assert.equal(rollUpStatus('in_progress', ['active', 'rejected']), 'partial');
  assert.equal(rollUpStatus('in_progress', ['active', 'failed', 'superseded']), 'partial');
  assert.equal(rollUpStatus('in_progress', ['rejected', 'failed']), 'failed');
  assert.equal(rollUpStatus('in_progress', ['superseded', 'superseded']), 'cancelled');
  assert.equal(rollUpStatus('in_progress', []), 'failed');
});

test('roll-up: a cancelled deployment stays cancelled; a finished one can be re-rolled', () => {
  assert.equal(rollUpStatus('cancelled', ['active']), 'cancelled');
  assert.equal(rollUpStatus('partial', ['active', 'active']), 'succeeded');
});

test('progress moves rows forward only, never out of a finished state', () => {
  assert.equal(stateAfterProgress('pending', 'downloading'), 'downloading');
  assert.equal(stateAfterProgress('downloading', 'benchmarking'), 'benchmarking');
  assert.equal(stateAfterProgress('benchmarking', 'downloading'), 'benchmarking', 'reordered message');
  assert.equal(stateAfterProgress('verifying', 'failed'), 'failed');
  for (const done of ['active', 'rejected', 'failed', 'superseded'] as DeviceState[]) {
    assert.equal(stateAfterProgress(done, 'downloading'), done);
    assert.equal(stateAfterProgress(done, 'failed'), done);
  }
});

test('reports set the outcome, except on rows a newer deployment took over', () => {
  assert.equal(stateAfterReport('benchmarking', 'activated'), 'active');
  assert.equal(stateAfterReport('pending', 'rejected'), 'rejected');
  assert.equal(stateAfterReport('downloading', 'failed'), 'failed');
  assert.equal(stateAfterReport('superseded', 'activated'), 'superseded');
});

test('a state answer finishes a row from its outcome, resends desired to a device without it, keeps a working one alive', () => {
  const row = { state: 'downloading' as const, deploymentId: 'd1', receivedBlocks: 2, totalBlocks: 10 };
  const sha = 'ab'.repeat(32);
  const base = { v: 1 as const, deploymentId: 'd1', busy: false, unacknowledged: 0 };
  assert.deepEqual(verdictFromDeviceState(row, sha, { ...base, desiredDeploymentId: 'd1', outcome: { sha256: sha, outcome: 'activated' } }), { kind: 'finish', state: 'active', error: null });
  assert.deepEqual(verdictFromDeviceState(row, sha, { ...base, desiredDeploymentId: 'd1', outcome: { sha256: sha, outcome: 'failed', reason: 'disk full' } }), { kind: 'finish', state: 'failed', error: 'disk full' });
  assert.deepEqual(verdictFromDeviceState(row, sha, { ...base, desiredDeploymentId: 'd0' }), { kind: 'resend-desired' });
  assert.deepEqual(verdictFromDeviceState(row, sha, base), { kind: 'resend-desired' });
  assert.deepEqual(verdictFromDeviceState(row, sha, { ...base, desiredDeploymentId: 'd1', partial: { sha256: sha, receivedBlocks: 7, totalBlocks: 10 } }), { kind: 'alive', receivedBlocks: 7 });
  assert.deepEqual(verdictFromDeviceState(row, sha, { ...base, desiredDeploymentId: 'd1', partial: { sha256: sha, receivedBlocks: 1, totalBlocks: 10 } }), { kind: 'alive', receivedBlocks: 2 }, 'never backwards');
  assert.equal(verdictFromDeviceState({ ...row, state: 'active' }, sha, { ...base, outcome: { sha256: sha, outcome: 'failed' } }), undefined, 'a finished row is left alone');
});
