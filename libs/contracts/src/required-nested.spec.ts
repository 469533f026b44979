import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DesiredStateMessage, HelloMessage, validateAs } from './index';

// class-validator's ValidateNested skips undefined values: required nested objects need IsDefined too.
test('a hello without a profile and a desired state without artifact/gates are refused', () => {
  const hello = validateAs(HelloMessage, { v: 1, deviceId: 'a', agentVersion: '1' });
  assert.equal(hello.ok, false);
  assert.match(hello.ok ? '' : hello.errors.join(), /profile/);
  const desired = validateAs(DesiredStateMessage, { v: 1, deploymentId: 'd', issuedAt: '2026-11-30T00:00:00.000Z' });
  assert.equal(desired.ok, false);
  const errs = desired.ok ? '' : desired.errors.join();
  assert.match(errs, /artifact/);
  assert.match(errs, /gates/);
});
