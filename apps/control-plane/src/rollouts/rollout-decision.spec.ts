import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { abortReason, allowance, assignWaves, classHealth, decide, failureRate, inWindow, retryAllowance, retryAt, waveSizes, type DecideInput } from './rollout-decision';
import type { DeviceHealth, RolloutPlan } from './rollout.types';

const plan = (over: Partial<RolloutPlan> = {}): RolloutPlan => ({ waves: [{ percent: 10 }, { percent: 100 }], gates: {}, ...over });
const dev = (id: string, over: Partial<DeviceHealth> = {}): DeviceHealth => ({ deviceId: id, profileClass: 'a', wave: 0, outcome: 'planned', ...over });
const input = (over: Partial<DecideInput>): DecideInput => ({ plan: plan(), wave: 0, devices: [], allowance: Infinity, inWindow: true, now: new Date(0), switched: false, ...over });

describe('rollout decisions', () => {
  it('sizes waves cumulatively, the canary at least one device per class, the last wave everything', () => {
    assert.deepEqual(waveSizes(200, [{ percent: 1 }, { percent: 10 }, { percent: 50 }, { percent: 100 }], 3), [3, 20, 100, 200]);
    assert.deepEqual(waveSizes(10, [{ count: 4 }, { percent: 30 }], 2), [4, 10]);
    assert.deepEqual(waveSizes(2, [{ percent: 1 }, { percent: 100 }], 3), [2, 2]);
  });

  it('puts every class in the canary and keeps the classes\' proportions in each wave', () => {
    const devices = [
      ...Array.from({ length: 120 }, (_, i) => ({ id: `g-${String(i).padStart(3, '0')}`, profileClass: 'gateway' })),
      ...Array.from({ length: 60 }, (_, i) => ({ id: `r-${String(i).padStart(3, '0')}`, profileClass: 'rpi4' })),
      ...Array.from({ length: 20 }, (_, i) => ({ id: `t-${String(i).padStart(3, '0')}`, profileClass: 'tight' })),
    ];
    const waves = assignWaves(devices, [{ percent: 1 }, { percent: 10 }, { percent: 100 }]);
    const inWave = (w: number, cls: string) => devices.filter((d) => d.profileClass === cls && waves.get(d.id) === w).length;
    assert.deepEqual(['gateway', 'rpi4', 'tight'].map((c) => inWave(0, c)), [1, 1, 1]);
    assert.equal(devices.filter((d) => waves.get(d.id)! <= 1).length, 20);
    assert.ok(inWave(1, 'gateway') >= 10 && inWave(1, 'rpi4') >= 4 && inWave(1, 'tight') >= 1);
    assert.equal(waves.size, 200);
  });

  it('paces: a burst of one, then perMinute spread evenly, ramping by the factor', () => {
    const paceFrom = new Date(0);
    const at = (ms: number) => new Date(ms);
    assert.equal(allowance({ perMinute: 60 }, { paceFrom, notifiedSince: 0, notifiedTotal: 0, now: at(0) }), 1);
    assert.equal(allowance({ perMinute: 60 }, { paceFrom, notifiedSince: 1, notifiedTotal: 1, now: at(999) }), 0);
    assert.equal(allowance({ perMinute: 60 }, { paceFrom, notifiedSince: 1, notifiedTotal: 1, now: at(10_000) }), 10);
    const ramp = { perMinute: 60, ramp: { factor: 2, every: 10, maxPerMinute: 200 } };
    assert.equal(allowance(ramp, { paceFrom, notifiedSince: 0, notifiedTotal: 25, now: at(3000) }), 11); // 60 × 2² = 240 → capped at 200/min: 1 + 10
    assert.equal(allowance(undefined, { paceFrom, notifiedSince: 1e6, notifiedTotal: 1e6, now: at(0) }), Infinity);
  });

  it('knows a daily window, also across midnight', () => {
    assert.equal(inWindow({ start: '22:00', end: '04:00' }, new Date('2026-01-01T23:30:00Z')), true);
    assert.equal(inWindow({ start: '22:00', end: '04:00' }, new Date('2026-01-01T12:00:00Z')), false);
    assert.equal(inWindow({ start: '08:00', end: '17:00' }, new Date('2026-01-01T12:00:00Z')), true);
    assert.equal(inWindow(undefined, new Date()), true);
  });

  it('notifies the planned devices as the rate and window allow, then waits for them', () => {
    const devices = [dev('1'), dev('2'), dev('3', { outcome: 'in_progress' }), dev('4', { wave: 1 })];
    assert.deepEqual(decide(input({ devices, allowance: 1 })), { action: 'notify', count: 1, reason: 'wave 0: 2 device(s) to notify' });
    assert.equal(decide(input({ devices, allowance: 0 })).reason, 'rate limit');
    assert.match(decide(input({ devices, inWindow: false, plan: plan({ window: { start: '22:00', end: '04:00' } }) })).reason, /outside the maintenance window 22:00–04:00/);
    assert.equal(decide(input({ devices: [dev('3', { outcome: 'in_progress' })] })).action, 'wait');
  });

  it('a wave with a start time notifies no one before it (a phase start, as Mender\'s), then as the rate allows', () => {
    const p = plan({ waves: [{ percent: 10, startAt: '2026-01-01T10:00:00Z' }, { percent: 100 }] });
    const devices = [dev('1'), dev('2')];
    assert.deepEqual(decide(input({ plan: p, devices, now: new Date('2026-01-01T09:59:59Z') })), { action: 'wait', reason: 'wave 0 starts at 2026-01-01T10:00:00Z' });
    assert.equal(decide(input({ plan: p, devices, now: new Date('2026-01-01T10:00:00Z') })).action, 'notify');
    assert.equal(decide(input({ plan: p, devices: [dev('1', { outcome: 'in_progress' })], now: new Date(0) })).reason, 'wave 0: 1 device(s) in progress', 'only notifications wait');
  });

  it('advances, waits for approval or completes when the wave met its criteria per class', () => {
    const ok = [dev('1', { outcome: 'active', p95Ms: 11, baseline: { p95Ms: 10 } }), dev('2', { outcome: 'active', profileClass: 'b' })];
    const criteria = { minPassPercent: 90, maxP95Ratio: 1.2 };
    const d = decide(input({ devices: ok, plan: plan({ waves: [{ percent: 10, success: criteria }, { percent: 100 }] }) }));
    assert.equal(d.action, 'advance');
    assert.equal(d.reason, 'wave 0 met its criteria (a 1/1 active, b 1/1 active)');
    assert.equal(decide(input({ devices: ok, plan: plan({ waves: [{ percent: 10, requireApproval: true }, { percent: 100 }] }) })).action, 'await-approval');
    assert.equal(decide(input({ devices: ok.map((x) => ({ ...x, wave: 1 })), wave: 1 })).action, 'complete');
  });

  it('a class that misses the criteria stops the rollout with the abort action, naming the class and the numbers', () => {
    const devices = [
      dev('1', { outcome: 'active', p95Ms: 30, baseline: { p95Ms: 10 } }), dev('2', { outcome: 'active', p95Ms: 32, baseline: { p95Ms: 10 } }),
      dev('3', { outcome: 'active', profileClass: 'b', p95Ms: 10, baseline: { p95Ms: 10 } }),
    ];
    const p = plan({ waves: [{ percent: 10, success: { maxP95Ratio: 1.5 } }, { percent: 100 }], abort: { failurePercent: 50, minDevices: 10, action: 'rollback' } });
    const d = decide(input({ devices, plan: p }));
    assert.equal(d.action, 'rollback');
    assert.equal(d.reason, 'wave 0 missed its success criteria: class a: median p95 3.1× the previous model > 1.5×');
    assert.equal(decide(input({ devices, plan: { ...p, abort: undefined } })).action, 'pause');
  });

  it('abort criteria: failures ≥ x% after ≥ n finished devices, over the whole rollout, before anything else', () => {
    const devices = [dev('1', { outcome: 'rejected' }), dev('2', { outcome: 'failed' }), dev('3', { outcome: 'active' }), dev('4')];
    const abort = { failurePercent: 50, minDevices: 3, action: 'pause' as const };
    assert.equal(abortReason(devices, abort), '2 of 3 finished devices failed (1 rejected, 1 failed, 0 timed out): 66.7% ≥ 50% after ≥ 3 devices');
    assert.equal(abortReason(devices, { ...abort, minDevices: 4 }), undefined);
    assert.deepEqual(failureRate(devices), { finished: 3, failures: 2, rejected: 1, failed: 1, timedOut: 0, percent: 66.7 });
    assert.equal(decide(input({ devices, plan: plan({ abort }) })).action, 'pause');
    assert.equal(abortReason([dev('1', { outcome: 'timed_out' })], { failurePercent: 100, minDevices: 1, action: 'rollback' })?.includes('1 timed out'), true);
  });

  it('retries a failure only while the plan allows that failure type, after a backoff that doubles per attempt', () => {
    const failedAt = new Date(1_000_000);
    const plan = { failed: 2, timedOut: 1, backoffSec: 10 };
    const first = retryAt(plan, { deviceId: 'd', failure: 'failed', retries: {}, attempts: 1, failedAt })!;
    const wait1 = first.getTime() - failedAt.getTime();
    assert.ok(wait1 >= 5_000 && wait1 <= 10_000, `first retry after 5–10 s, not ${wait1} ms`);
    assert.equal(retryAt(plan, { deviceId: 'd', failure: 'failed', retries: {}, attempts: 1, failedAt })!.getTime(), first.getTime(), 'the same at every step');
    const wait2 = retryAt(plan, { deviceId: 'd', failure: 'failed', retries: { failed: 1 }, attempts: 2, failedAt })!.getTime() - failedAt.getTime();
    assert.ok(wait2 >= 10_000 && wait2 <= 20_000, `second retry after 10–20 s, not ${wait2} ms`);
    assert.equal(retryAt(plan, { deviceId: 'd', failure: 'failed', retries: { failed: 2 }, attempts: 3, failedAt }), undefined, 'failed: 2 retries used');
    assert.equal(retryAt(plan, { deviceId: 'd', failure: 'rejected', retries: {}, attempts: 1, failedAt }), undefined, 'no retries for gate failures');
    assert.ok(retryAt(plan, { deviceId: 'd', failure: 'timed_out', retries: { failed: 2 }, attempts: 3, failedAt }), 'counted per failure type');
    assert.equal(retryAt(undefined, { deviceId: 'd', failure: 'failed', retries: {}, attempts: 1, failedAt }), undefined);
    const spread = new Set(['a', 'b', 'c', 'd', 'e'].map((id) => retryAt(plan, { deviceId: id, failure: 'failed', retries: {}, attempts: 1, failedAt })!.getTime()));
    assert.ok(spread.size > 1, 'jitter spreads the devices');
  });

  it('a device waiting for its retry holds the wave and counts for no criteria; a due one is retried before new devices, paced', () => {
    const abort = { failurePercent: 50, minDevices: 1, action: 'rollback' as const };
    const waiting = [dev('1', { outcome: 'retrying', retryAt: new Date(5000) }), dev('2', { outcome: 'active' }), dev('3')];
    assert.equal(abortReason(waiting, abort), undefined, 'a retrying device is not finished');
    assert.deepEqual(decide(input({ devices: waiting, plan: plan({ abort }), allowance: 0 })), { action: 'wait', reason: 'rate limit' });
    const due = decide(input({ devices: waiting, plan: plan({ abort }), allowance: 1, now: new Date(5000) }));
    assert.deepEqual(due, { action: 'retry', count: 1, reason: 'wave 0: 1 device(s) to retry' });
    assert.deepEqual(decide(input({ devices: waiting, plan: plan({ abort }), allowance: 0, now: new Date(5000) })), { action: 'wait', reason: 'rate limit: 1 retry(ies) due' }, 'the rate holds retries too');
    assert.match(decide(input({ devices: waiting, inWindow: false, now: new Date(5000), plan: plan({ window: { start: '22:00', end: '04:00' } }) })).reason, /outside the maintenance window/);
    assert.equal(decide(input({ devices: waiting.slice(0, 2) })).reason, 'wave 0: 1 device(s) in progress');
    assert.equal(classHealth(waiting)['a']!.retrying, 1);
  });

  it('a mass failure is retried at the rollout\'s rate (shared with notifications) and at retries.perMinute, never all at once', () => {
    const failed = Array.from({ length: 20 }, (_, i) => dev(String(i), { outcome: 'retrying', retryAt: new Date(0) }));
    const now = new Date(10_000);
    // 120/min from paceFrom 0: 1 + 20 at +10 s; 15 notifications and 3 retries since then leave 3.
    const shared = allowance({ perMinute: 120 }, { paceFrom: new Date(0), notifiedSince: 15 + 3, notifiedTotal: 15, now });
    assert.equal(shared, 3);
    const p = plan({ rate: { perMinute: 120 }, retries: { rejected: 1 } });
    assert.deepEqual(decide(input({ plan: p, devices: failed, now, allowance: shared, retryAllowance: retryAllowance(p, shared, { paceFrom: new Date(0), retriedSince: 3, now }) })),
      { action: 'retry', count: 3, reason: 'wave 0: 20 device(s) to retry, 3 now (rate)' });
    // Without a rollout rate, retries.perMinute alone: 30/min → 1 + 5 at +10 s, 4 retried since → 2.
    const own = plan({ retries: { rejected: 1, perMinute: 30 } });
    assert.equal(retryAllowance(own, Infinity, { paceFrom: new Date(0), retriedSince: 4, now }), 2);
    assert.equal(decide(input({ plan: own, devices: failed, now, retryAllowance: retryAllowance(own, Infinity, { paceFrom: new Date(0), retriedSince: 4, now }) })).count, 2);
    assert.equal(retryAllowance(plan({ retries: { rejected: 1 } }), Infinity, { paceFrom: new Date(0), retriedSince: 1e6, now }), Infinity, 'no rate at all: unpaced, as notifications');
  });

  it('stage mode: waits until every device staged, then switches them together, then judges', () => {
    const p = plan({ stage: true });
    assert.equal(decide(input({ plan: p, devices: [dev('1', { outcome: 'staged' }), dev('2', { outcome: 'in_progress' })] })).action, 'wait');
    assert.equal(decide(input({ plan: p, devices: [dev('1', { outcome: 'staged' }), dev('2', { outcome: 'staged' })] })).action, 'stage-switch');
    assert.equal(decide(input({ plan: p, switched: true, devices: [dev('1', { outcome: 'active' }), dev('2', { outcome: 'active' })] })).action, 'advance');
  });

  it('sums up health per class: pass rate, median latency ratios, accuracy against the previous model', () => {
    const h = classHealth([
      dev('1', { outcome: 'active', p50Ms: 2, p95Ms: 4, accuracy: 0.8, baseline: { p50Ms: 1, p95Ms: 2, accuracy: 0.9 } }),
      dev('2', { outcome: 'rejected', p50Ms: 6, p95Ms: 12, accuracy: 0.7, baseline: { p50Ms: 2, p95Ms: 4, accuracy: 0.9 } }),
      dev('3', { outcome: 'in_progress' }), dev('4', { outcome: 'left' }),
    ]);
    assert.deepEqual(h, { a: { devices: 3, finished: 2, active: 1, rejected: 1, failed: 0, timedOut: 0, retrying: 0, passPercent: 50, p50Ratio: 2.5, p95Ratio: 2.5, accuracy: 0.75, baselineAccuracy: 0.9 } });
  });
});
