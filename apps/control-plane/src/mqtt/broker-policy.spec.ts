import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeviceLogin, mayPublish, mayReceive, maySubscribe } from './broker-policy';

const d = { kind: 'device', deviceId: 'pi-1' } as const;

test('a device publishes only the device → control plane kinds on its own topics', () => {
  for (const kind of ['hello', 'status', 'block-req', 'progress', 'report', 'telemetry']) assert.equal(mayPublish(d, `edgefleet/v1/devices/pi-1/${kind}`), true, kind);
  for (const topic of ['edgefleet/v1/devices/pi-2/report', 'edgefleet/v1/devices/pi-1/desired', 'edgefleet/v1/devices/pi-1/block/x/0', '$SYS/x', 'other', 'edgefleet/v1/devices/pi-1/report/x']) {
    assert.equal(mayPublish(d, topic), false, topic);
  }
});

test('a device subscribes only below its own prefix; #, +, $SYS and other devices are refused', () => {
  assert.equal(maySubscribe(d, 'edgefleet/v1/devices/pi-1/#'), true);
  assert.equal(maySubscribe(d, 'edgefleet/v1/devices/pi-1/desired'), true);
  for (const f of ['#', '$SYS/#', 'edgefleet/#', 'edgefleet/v1/devices/+/desired', 'edgefleet/v1/devices/pi-10/#', 'edgefleet/v1/devices/pi-1/']) {
    assert.equal(maySubscribe(d, f), false, f);
  }
  assert.equal(mayReceive(d, 'edgefleet/v1/devices/pi-2/desired'), false);
});

test('the service identity stays under edgefleet/; device logins need client id = username and no reserved id', () => {
  assert.equal(mayPublish({ kind: 'service' }, 'edgefleet/v1/devices/x/desired'), true);
  assert.equal(maySubscribe({ kind: 'service' }, '$SYS/#'), false);
  assert.equal(isDeviceLogin('pi-1', 'pi-1'), true);
  assert.equal(isDeviceLogin('pi-1', 'pi-2'), false);
  assert.equal(isDeviceLogin('pi-1', undefined), false);
  assert.equal(isDeviceLogin('edgefleet-cp-in-1', 'edgefleet-cp-in-1'), false);
  assert.equal(isDeviceLogin('a/b', 'a/b'), false);
});
