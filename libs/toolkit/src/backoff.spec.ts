import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from './backoff';

const opts = { baseMs: 100, maxMs: 5_000 };

test('the delay of attempt n lies in [base·2ⁿ/2, base·2ⁿ], capped at maxMs, at both ends of the jitter', () => {
  for (let n = 0; n <= 40; n++) {
    const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** n);
    assert.equal(backoffDelay(n, { ...opts, random: () => 0 }), Math.round(ceiling / 2), `attempt ${n}, lowest`);
    assert.equal(backoffDelay(n, { ...opts, random: () => 1 - Number.EPSILON }), Math.round(ceiling), `attempt ${n}, highest`);
  }
  assert.equal(backoffDelay(-3, { ...opts, random: () => 0 }), 50, 'a negative attempt counts as the first');
});

test('with Math.random the delays stay in bounds and spread over the band, so a fleet does not retry in lock step', () => {
  for (const n of [0, 3, 10]) {
    const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** n);
    const delays = Array.from({ length: 2_000 }, () => backoffDelay(n, opts));
    assert.ok(delays.every((d) => d >= Math.round(ceiling / 2) && d <= ceiling), `attempt ${n} out of bounds`);
    // 2,000 uniform draws: each quarter of the band gets ~500; < 350 would be a ~10⁻¹³ event for a uniform jitter.
    const quarters = [0, 0, 0, 0];
    for (const d of delays) quarters[Math.min(3, Math.floor(((d - ceiling / 2) / (ceiling / 2)) * 4))]!++;
    assert.ok(quarters.every((q) => q > 350), `attempt ${n}: jitter not spread over the band: ${quarters.join(', ')}`);
  }
});
