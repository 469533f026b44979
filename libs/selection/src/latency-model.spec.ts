import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeScore } from './compute-score';
import { evaluateHoldout } from './evaluate';
import { fitLatencyModel } from './latency-model';
import { fitLineNonNegative } from './least-squares';
import { fitMemoryModel } from './memory-model';
import { classProfile, syntheticReports, trueLatency, variant, type GroundTruth } from './testing/synthetic';

// Four classes; the prior (cores × MHz × lanes) is right for one, off by 1.5×, 0.7× and 2× for the others.
const classes = [
  classProfile('gateway', { arch: 'x64', cores: 4, clockMhz: 2500, simd: ['avx2'] }),
  classProfile('rpi4'),
  classProfile('tight', { cores: 1, clockMhz: 1200, ramMb: 512 }),
  classProfile('mcu', { arch: 'arm', cores: 1, clockMhz: 600, simd: [], ramMb: 64 }),
];
const truth: GroundTruth = { A: 400, B: 0.05, deviation: { gateway: 1, rpi4: 1.5, tight: 0.7, mcu: 2 }, memBaseMb: 20, memPerMb: 2.5 };
const variants = [10_000, 50_000, 100_000, 200_000, 400_000, 800_000].map((m, i) => variant(`v${i}`, m));
const within = (got: number, want: number, tol: number, what: string) =>
  assert.ok(Math.abs(got - want) / want <= tol, `${what}: got ${got}, want ${want} ± ${tol * 100}%`);

describe('fitLineNonNegative', () => {
  it('recovers an exact line and clamps a falling one to a constant', () => {
    const l = fitLineNonNegative([1, 2, 3].map((x) => ({ x, y: 2 + 3 * x })))!;
    within(l.a, 2, 1e-9, 'a');
    within(l.b, 3, 1e-9, 'b');
    const f = fitLineNonNegative([{ x: 1, y: 5 }, { x: 2, y: 4 }, { x: 3, y: 3 }])!;
    assert.equal(f.b, 0);
    assert.ok(f.a > 3 && f.a < 5);
  });
});

describe('latency model on synthetic reports (known truth + 8% noise)', () => {
  const obs = syntheticReports(truth, classes, variants, 2, 0.08, 7);
  const model = fitLatencyModel(obs, variants, classes);

  it('recovers each class overhead and throughput within 12%', () => {
    for (const c of classes) {
      const p = model.classParams(c);
      const f = truth.deviation[c.profileClass]! / computeScore(c);
      within(p.throughputGmacPerSec, 1 / (f * truth.B) / 1e6, 0.12, `${c.name} throughput`);
      within(p.overheadMs, f * truth.A, 0.25, `${c.name} overhead`);
      assert.equal(p.source, 'class-fit', `${c.name} has 6 variants measured`);
    }
  });

  it('predicts held-out (class, variant) pairs within 10% mean error', () => {
    const r = evaluateHoldout(obs, variants, classes, 'pair');
    assert.equal(r.overall.pairs, classes.length * variants.length);
    assert.ok(r.overall.mape < 0.1, `pair holdout MAPE ${r.overall.mape}`);
  });

  it('learns a class factor from few reports, shrunk toward the prior', () => {
    // rpi4 (1.5× slower than its prior) seen on two variants only: the fleet curve plus its learnt factor.
    const few = obs.filter((o) => o.profileClass !== 'rpi4' || o.variantId === 'v1' || o.variantId === 'v4');
    const m = fitLatencyModel(few, variants, classes);
    const rpi = classes[1]!;
    const p = m.predict(rpi, variants[5]!);
    assert.equal(p.source, 'fleet-fit');
    within(p.ms, trueLatency(truth, rpi, variants[5]!.macs), 0.2, 'rpi4 v5 from two reports');
    // Without any rpi4 report only the prior speaks, and it is 1.5× optimistic.
    const none = fitLatencyModel(obs.filter((o) => o.profileClass !== 'rpi4'), variants, classes);
    const prior = none.predict(rpi, variants[5]!);
    assert.equal(prior.source, 'prior');
    within(prior.ms, trueLatency(truth, rpi, variants[5]!.macs) / 1.5, 0.2, 'rpi4 prior');
    assert.ok(Math.abs(p.ms - trueLatency(truth, rpi, variants[5]!.macs)) < Math.abs(prior.ms - trueLatency(truth, rpi, variants[5]!.macs)));
  });

  it('uses the median of a pair once it has enough reports', () => {
    const many = syntheticReports(truth, classes.slice(0, 1), variants.slice(0, 1), 3, 0.08, 3);
    const m = fitLatencyModel([...obs, ...many], variants, classes);
    const p = m.predict(classes[0]!, variants[0]!);
    assert.equal(p.source, 'measured');
    assert.equal(p.reports, 5);
  });

  it('learns that int8 runs faster than fp32 of the same MACs', () => {
    const int8 = variants.map((v) => ({ ...v, id: `${v.id}-int8`, precision: 'int8' }));
    const fast = syntheticReports(truth, classes, int8, 1, 0.05, 9).map((o) => ({ ...o, latencyP95Ms: o.latencyP95Ms * 0.5 }));
    const m = fitLatencyModel([...obs, ...fast], [...variants, ...int8], classes);
    within(m.precisionFactorOf('int8'), 0.5, 0.15, 'int8 factor');
  });
});

describe('memory model', () => {
  it('recovers base + k × MB and prefers measurements of the variant itself', () => {
    const obs = syntheticReports(truth, classes, variants, 2, 0.05, 5);
    const m = fitMemoryModel(obs, variants);
    within(m.line.a, truth.memBaseMb, 0.1, 'base');
    within(m.line.b, truth.memPerMb, 0.1, 'per MB');
    assert.equal(m.predict(variants[0]!).source, 'measured');
    const fresh = m.predict({ id: 'new', sizeBytes: 8 * 1024 * 1024 });
    assert.equal(fresh.source, 'fit');
    within(fresh.mb, truth.memBaseMb + 8 * truth.memPerMb, 0.1, 'new 8 MB model');
    assert.equal(fitMemoryModel([], variants).predict(variants[0]!).source, 'prior');
  });
});

describe('the evidence behind a prediction', () => {
  it('every prediction says how many reports it rests on and an interval that widens as the evidence thins', () => {
    const known = classes.slice(0, 3);
    const obs = syntheticReports(truth, known, variants, 3, 0.08, 11);
    const model = fitLatencyModel(obs, variants, known);
    const measured = model.predict(classes[1]!, variants[2]!);
    const fresh = model.predictMacs(classes[1]!, 300_000);
    const prior = model.predict(classes[3]!, variants[2]!); // mcu never reported
    assert.deepEqual([measured.source, measured.reports], ['measured', 3]);
    assert.equal(fresh.source, 'class-fit');
    assert.equal(fresh.reports, obs.filter((o) => o.profileClass === 'rpi4').length);
    assert.deepEqual([prior.source, prior.reports], ['prior', 0]);
    const width = (p: { interval: [number, number] }) => p.interval[1] / p.interval[0];
    for (const p of [measured, fresh, prior]) assert.ok(p.interval[0] < p.ms && p.ms < p.interval[1], JSON.stringify(p));
    assert.ok(width(measured) < width(fresh) && width(fresh) < width(prior), `${width(measured)} < ${width(fresh)} < ${width(prior)}`);
    // The truth lies inside each interval on this synthetic fleet (the prior is 2× off for mcu).
    for (const [p, cls, v] of [[measured, 'rpi4', variants[2]!], [prior, 'mcu', variants[2]!]] as const) {
      const want = trueLatency(truth, classes.find((c) => c.profileClass === cls)!, v.macs);
      assert.ok(p.interval[0] <= want && want <= p.interval[1], `${cls}: ${want} outside ${p.interval}`);
    }
  });
});
