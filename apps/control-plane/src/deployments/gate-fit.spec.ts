import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measurableGates, unmeasurableGates } from './gate-fit';

test('minAccuracy needs an eval set that scores an accuracy; other gates are always measurable', () => {
  const model = (evalSetSha256: string | null, evalTask: string | null) => ({ name: 'm', evalSetSha256, evalTask });
  assert.match(unmeasurableGates({ minAccuracy: 0.5 }, model(null, null)).join(), /needs an eval set: model m has none/);
  assert.match(unmeasurableGates({ minAccuracy: 0.5 }, model('ab', 'regression')).join(), /regression set, scored by MAE/);
  for (const task of ['multiclass', 'binary', 'multilabel', null]) assert.deepEqual(unmeasurableGates({ minAccuracy: 0.5 }, model('ab', task)), []);
  assert.deepEqual(unmeasurableGates({ maxLatencyP95Ms: 5, maxMemoryMb: 64 }, model(null, null)), []);
});

test('measurableGates leaves out only what no device could judge', () => {
  const model = (evalSetSha256: string | null, evalTask: string | null) => ({ name: 'm', evalSetSha256, evalTask });
  const gates = { maxLatencyP95Ms: 5, maxMemoryMb: 64, minAccuracy: 0.5 };
  assert.deepEqual(measurableGates(gates, model(null, null)), { maxLatencyP95Ms: 5, maxMemoryMb: 64 });
  assert.deepEqual(measurableGates(gates, model('ab', 'regression')), { maxLatencyP95Ms: 5, maxMemoryMb: 64 });
  assert.deepEqual(measurableGates(gates, model('ab', 'multiclass')), gates);
});
