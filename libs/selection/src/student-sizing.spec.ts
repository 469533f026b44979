import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Network } from '@edgefleet/distill';
import { fitLatencyModel } from './latency-model';
import { fitMemoryModel } from './memory-model';
import { narrowestHiddenWidth } from './student-ranking';
import { NoFeasibleStudentError, sizeStudent, studentForSizeBudget, studentSearchSpace } from './student-sizing';
import { classProfile, syntheticReports, variant, type GroundTruth } from './testing/synthetic';

const rpi = classProfile('rpi4');
const truth: GroundTruth = { A: 400, B: 0.05, deviation: {}, memBaseMb: 20, memPerMb: 2.5 };
const measured = [variant('a', 50_000), variant('b', 200_000), variant('c', 1_200_000)];
const obs = syntheticReports(truth, [rpi], measured, 1, 0.03, 11);
const latency = fitLatencyModel(obs, measured, [rpi]);
const memory = fitMemoryModel(obs, measured);
/** Below this a hidden layer squeezes 10 classes' soft targets (measured: mlp:32x16x8 distilled to 0.40–0.56). */
const SENSIBLE_MIN_WIDTH = 16;

const size = (maxLatencyP95Ms: number, families?: Array<'mlp' | 'cnn'>) =>
  sizeStudent({ cls: rpi, budget: { maxLatencyP95Ms }, latency, memory, sampleShape: [1, 28, 28], numClasses: 10, families });
const predictedMs = (s: { spec: Parameters<typeof narrowestHiddenWidth>[0] }) => latency.predictMacs(rpi, new Network(s.spec, [1, 28, 28]).macs).ms;

describe('sizeStudent prefers wide, shallow students', () => {
  it('takes one hidden layer of 32 over mlp:32x16x8 of about the same MACs', () => {
    // A budget (with the 0.85 headroom) just above mlp:32x16x8, below mlp:48.
    const deep = studentSearchSpace([1, 28, 28], 10, ['mlp']).find((s) => s.student === 'mlp:32x16x8')!;
    const r = size(predictedMs(deep) / 0.85 * 1.01, ['mlp']);
    assert.equal(r.proposal?.student, 'mlp:32');
  });

  for (const families of [['mlp'], ['mlp', 'cnn']] as Array<Array<'mlp' | 'cnn'>>) {
    it(`never proposes a narrow layer when a one-layer student of similar MACs fits (${families.join('+')})`, () => {
      const space = studentSearchSpace([1, 28, 28], 10, families).map((s) => ({ ...s, ms: predictedMs(s), macs: new Network(s.spec, [1, 28, 28]).macs }));
      for (let budget = 0.08; budget < 30; budget *= 1.3) {
        const r = size(budget, families);
        assert.ok(r.feasible && r.proposal, `budget ${budget} ms`);
        const fits = space.filter((s) => s.ms <= 0.85 * budget);
        const biggest = Math.max(...fits.map((s) => s.macs));
        const oneLayer = fits.filter((s) => /^mlp:\d+$/.test(s.student) && s.macs >= 0.7 * biggest);
        const w = narrowestHiddenWidth(r.proposal.spec);
        if (oneLayer.length > 0) assert.ok(w >= SENSIBLE_MIN_WIDTH, `budget ${budget.toPrecision(3)} ms: ${r.proposal.student} (narrowest ${w}) proposed while ${oneLayer.map((s) => s.student).join(', ')} fit`);
        // Width is not bought with much less compute.
        assert.ok(r.proposal.macs >= 0.7 * biggest, `budget ${budget.toPrecision(3)} ms: ${r.proposal.student} has ${r.proposal.macs} MACs, biggest fitting ${biggest}`);
      }
    });
  }
});

describe('narrowestHiddenWidth', () => {
  it('counts hidden dense units and conv filters, not the output layer', () => {
    const by = new Map(studentSearchSpace([1, 28, 28], 10).map((s) => [s.student, s.spec]));
    assert.equal(narrowestHiddenWidth(by.get('mlp:32x16x8')!), 8);
    assert.equal(narrowestHiddenWidth(by.get('mlp:256')!), 256);
    assert.equal(narrowestHiddenWidth(by.get('cnn:2-4-16')!), 2);
  });
});

describe('studentForSizeBudget: the same search and pick under a parameter / MAC budget', () => {
  it('takes the widest of the largest students within the budget, and refuses a budget below the smallest', () => {
    const got = studentForSizeBudget({ maxParams: 60_000 }, [1, 28, 28], 10);
    assert.ok(got.params <= 60_000, JSON.stringify(got));
    const within = studentSearchSpace([1, 28, 28], 10).map((s) => new Network(s.spec, [1, 28, 28])).filter((n) => n.paramCount <= 60_000);
    assert.ok(got.macs >= 0.7 * Math.max(...within.map((n) => n.macs)), 'among the largest that fit');
    // 1000 features are not a square image: MLPs only. mlp:64x32 (66,474 params) has a few more MACs than mlp:64
    // (64,714), but its 32-wide layer is the narrower one.
    const flat = studentForSizeBudget({ maxParams: 70_000 }, [1000], 10);
    assert.equal(flat.student, 'mlp:64', 'one wide layer rather than a deeper, narrower stack of about the same size');
    assert.ok(studentForSizeBudget({ maxMacs: 30_000 }, [1000], 10).macs <= 30_000);
    assert.throws(() => studentForSizeBudget({ maxParams: 10 }, [1, 28, 28], 10), (err: unknown) =>
      err instanceof NoFeasibleStudentError && /smallest candidate mlp:8 has 6370 params/.test(err.message));
  });
});
