import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClasses, parseFaults, scaleClasses } from './fleet-spec';

test('classes: presets with counts; every problem named', () => {
  assert.deepEqual(parseClasses('gateway:600,rpi4:300,tight:100').classes, [{ name: 'gateway', count: 600 }, { name: 'rpi4', count: 300 }, { name: 'tight', count: 100 }]);
  const bad = parseClasses('gateway:x,toaster:3,rpi4:1,rpi4:2');
  assert.equal(bad.problems.length, 3, bad.problems.join('; '));
});

test('scaling keeps the proportions and the exact total', () => {
  const scaled = scaleClasses([{ name: 'gateway', count: 600 }, { name: 'rpi4', count: 300 }, { name: 'tight', count: 100 }], 55);
  assert.equal(scaled.reduce((a, c) => a + c.count, 0), 55);
  assert.deepEqual(scaled.map((c) => c.count), [33, 17, 5]);
});

test('faults per class, * for all, later items add to earlier ones', () => {
  const { faults, problems } = parseFaults('*:gate=0.1,tight:crash=0.5', ['gateway', 'tight']);
  assert.deepEqual(problems, []);
  assert.deepEqual(faults.get('tight'), { gate: 0.1, crash: 0.5, offline: 0 });
  assert.deepEqual(faults.get('gateway'), { gate: 0.1, crash: 0, offline: 0 });
  assert.equal(parseFaults('tight:melt=1,rpi4:gate=2,mcu:gate=1', ['tight']).problems.length, 3);
});
