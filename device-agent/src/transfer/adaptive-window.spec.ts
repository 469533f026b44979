import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AdaptiveWindow } from './adaptive-window';

/** Delivers one full round of `w.size` blocks at `perMs` blocks per ms on the fake clock. */
function round(w: AdaptiveWindow, clock: { t: number }, perMs: number): void {
  const n = w.size;
  for (let i = 0; i < n; i++) {
    clock.t += 1 / perMs;
    w.delivered();
  }
}

describe('AdaptiveWindow', () => {
  it('doubles while a bigger window brings more throughput, and stops at max', () => {
    const clock = { t: 0 };
    const w = new AdaptiveWindow({ initial: 16, min: 4, max: 64 }, () => clock.t);
    // A path whose throughput is proportional to the blocks in flight (latency-bound).
    for (let i = 0; i < 6; i++) round(w, clock, w.size / 10);
    assert.equal(w.size, 64);
  });

  it('keeps the window when a bigger one brings nothing, and steps back when it is clearly slower', () => {
    const clock = { t: 0 };
    const w = new AdaptiveWindow({ initial: 16, min: 4, max: 128 }, () => clock.t);
    round(w, clock, 1); // first round: the best so far → 32
    assert.equal(w.size, 32);
    round(w, clock, 1.05); // not 10 % better: stays
    assert.equal(w.size, 32);
    round(w, clock, 0.5); // half the best rate: back to the window the best was seen with
    assert.equal(w.size, 16);
  });

  it('halves on a late answer (not below min) and measures afresh', () => {
    const clock = { t: 0 };
    const w = new AdaptiveWindow({ initial: 16, min: 4, max: 64 }, () => clock.t);
    w.stalled();
    assert.equal(w.size, 8);
    w.stalled();
    w.stalled();
    assert.equal(w.size, 4);
    round(w, clock, 0.01); // a slow first round after the stall is the new best: grows again
    assert.equal(w.size, 8);
  });

  it('a fixed window (max = initial) never moves', () => {
    const clock = { t: 0 };
    const w = new AdaptiveWindow({ initial: 16, min: 16, max: 16 }, () => clock.t);
    round(w, clock, 1);
    w.stalled();
    round(w, clock, 5);
    assert.equal(w.size, 16);
  });
});
