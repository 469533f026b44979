import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MEMORY_PRIOR } from './memory-model';
import { fitPredictors, recommend } from './recommend';
import { studentForSizeBudget, studentSearchSpace } from './student-sizing';
import { classProfile, syntheticReports, trueLatency, variant, type GroundTruth } from './testing/synthetic';

const classes = [
  classProfile('gateway', { arch: 'x64', cores: 4, clockMhz: 2500, simd: ['avx2'] }),
  classProfile('rpi4'),
  classProfile('tight', { cores: 1, clockMhz: 1200, ramMb: 512 }),
];
const truth: GroundTruth = { A: 400, B: 0.05, deviation: {}, memBaseMb: 20, memPerMb: 2.5 };
// A family: teacher and two students, plus a model of another family that must never be a candidate.
const catalogue = [
  variant('teacher', 1_200_000, { accuracy: 0.91, sizeBytes: 4_800_000 }),
  variant('s256', 200_000, { accuracy: 0.88, sizeBytes: 800_000 }),
  variant('s64', 50_000, { accuracy: 0.85, sizeBytes: 200_000 }),
  variant('other', 1_000, { family: 'other', accuracy: 0.99 }),
];
const obs = syntheticReports(truth, classes, catalogue, 1, 0.03, 11);
const rpi = classes[1]!;
const lat = (id: string) => trueLatency(truth, rpi, catalogue.find((v) => v.id === id)!.macs);

describe('recommend', () => {
  it('takes the most accurate variant that fits and says why each other one was taken or not', () => {
    // Between s256 and the teacher: the teacher is too slow, s256 and s64 fit, s256 is more accurate.
    const budget = { maxLatencyP95Ms: (lat('s256') + lat('teacher')) / 2, maxMemoryMb: 100 };
    const r = recommend({ cls: rpi, budget, family: 'fm', variants: catalogue, observations: obs, classes });
    assert.equal(r.decision, 'use-existing');
    assert.equal(r.chosen?.variantId, 's256');
    assert.deepEqual(r.candidates.map((c) => c.variantId), ['teacher', 's256', 's64']);
    const teacher = r.candidates[0]!;
    assert.equal(teacher.fits, false);
    assert.match(teacher.reasons.join(' | '), /p95 .* > .* ms.*rejected/);
    assert.deepEqual(teacher.failedChecks, ['latency']);
    assert.deepEqual(r.candidates[1]!.failedChecks, []);
    assert.match(r.candidates[2]!.reasons.at(-1)!, /fits, not chosen/);
  });

  it('rejects on accuracy and memory too, and treats an unknown accuracy as not meeting a minimum', () => {
    const noAcc = catalogue.map((v) => (v.id === 's64' ? { ...v, accuracy: undefined } : v));
    // No observations: memory comes from the prior, and the budget lies between s256 (0.8 MB) and the teacher (4.8 MB).
    const r = recommend({ cls: rpi, budget: { minAccuracy: 0.86, maxMemoryMb: MEMORY_PRIOR.a + MEMORY_PRIOR.b * 2.5 }, family: 'fm', variants: noAcc, observations: [], classes });
    const by = new Map(r.candidates.map((c) => [c.variantId, c]));
    assert.match(by.get('teacher')!.reasons.join(' '), /memory .* > budget/);
    assert.match(by.get('s64')!.reasons.join(' '), /accuracy unknown/);
    assert.ok(by.get('teacher')!.failedChecks.includes('memory'));
    assert.deepEqual(by.get('s64')!.failedChecks, ['accuracy']);
    assert.equal(r.chosen?.variantId, 's256');
  });

  it('sizes a student when nothing fits, within the budget with headroom', () => {
    const budget = { maxLatencyP95Ms: lat('s64') * 0.6 };
    const r = recommend({ cls: rpi, budget, family: 'fm', variants: catalogue, observations: obs, classes });
    assert.equal(r.decision, 'distill-student');
    assert.ok(r.student, 'a student is proposed');
    assert.ok(r.student.predictedLatencyP95Ms <= 0.85 * budget.maxLatencyP95Ms);
    assert.ok(r.student.macs < 50_000 && r.student.macs > 5_000, `student MACs ${r.student.macs}`);
    assert.match(r.student.student, /^(mlp:[0-9x]+|cnn:[0-9-]+)$/);
    // Its true latency on the class is within budget too (the model was fitted on noisy reports).
    assert.ok(trueLatency(truth, rpi, r.student.macs) <= budget.maxLatencyP95Ms);
  });

  it('answers "no feasible student" with the closest candidate for an impossible budget', () => {
    const budget = { maxLatencyP95Ms: 0.001 };
    const r = recommend({ cls: rpi, budget, family: 'fm', variants: catalogue, observations: obs, classes });
    assert.equal(r.decision, 'no-feasible-student');
    assert.equal(r.closest?.variantId, 's64');
    assert.ok(r.smallestStudent);
    assert.match(r.reasons[0]!, /no feasible student/);
    // How far off the smallest is, against the budget itself (what the autopilot's student probe weighs).
    assert.equal(r.sizing?.smallestWorstRatio, r.smallestStudent.predictedLatencyP95Ms / budget.maxLatencyP95Ms);
    assert.ok(r.sizing!.smallestWorstRatio! > 1);
  });

  it('answers "no feasible student" when the required accuracy is above the teacher', () => {
    const r = recommend({ cls: rpi, budget: { minAccuracy: 0.95, maxLatencyP95Ms: 1e6 }, family: 'fm', variants: catalogue, observations: obs, classes });
    assert.equal(r.decision, 'no-feasible-student');
    assert.match(r.reasons[0]!, /above the best accuracy/);
    assert.equal(r.sizing?.smallestWorstRatio, undefined, 'accuracy, not size, is the reason: nothing to probe');
  });

  it('predicts an unseen class from the prior', () => {
    const unseen = classProfile('new-board', { cores: 2, clockMhz: 1000 });
    const p = fitPredictors(obs, catalogue, classes);
    const r = recommend({ cls: unseen, budget: {}, family: 'fm', variants: catalogue, observations: obs, classes, predictors: p });
    assert.equal(r.classModel.source, 'prior');
    assert.equal(r.chosen?.variantId, 'teacher');
    assert.ok(r.candidates.every((c) => c.latencySource === 'prior'));
  });
});

describe('studentSearchSpace', () => {
  it('searches MLP widths and depths always and CNNs only for image-shaped data', () => {
    const img = studentSearchSpace([1, 28, 28], 10);
    const flat = studentSearchSpace([30], 2);
    assert.ok(img.some((s) => s.spec.family === 'cnn') && img.some((s) => s.student === 'mlp:256x128'));
    assert.ok(flat.every((s) => s.spec.family === 'mlp') && flat.length > 20);
  });
});

describe('int8 is never shipped where it is slower than fp32', () => {
  // One student in three precisions; int8 scored a hair above fp32 (it happens), so without the rule it would win.
  const twins = [
    variant('s64-fp32', 50_000, { name: 's64', accuracy: 0.85, sizeBytes: 200_000 }),
    variant('s64-int8', 50_000, { name: 's64', precision: 'int8', accuracy: 0.851, sizeBytes: 50_000 }),
    variant('s64-fp16', 50_000, { name: 's64', precision: 'fp16', accuracy: 0.849, sizeBytes: 100_000 }),
  ];
  const reports = (ms: Record<string, number>) => Object.entries(ms).flatMap(([variantId, latencyP95Ms]) =>
    [0.98, 1, 1.02].map((k) => ({ profileClass: 'rpi4', variantId, latencyP95Ms: latencyP95Ms * k })));

  it('measured slower on this class: rejected, saying so, and fp32 ships', () => {
    const r = recommend({ cls: rpi, budget: {}, family: 'fm', variants: twins, observations: reports({ 's64-fp32': 0.024, 's64-int8': 0.028, 's64-fp16': 0.03 }), classes });
    assert.equal(r.chosen?.variantId, 's64-fp32');
    const int8 = r.candidates.find((c) => c.precision === 'int8')!;
    assert.deepEqual(int8.failedChecks, ['slower-than-fp32']);
    assert.match(int8.reasons.join(' | '), /int8 slower than fp32 \(measured on this class: p95 0\.028 ms vs fp32 0\.024 ms\): fp32 or fp16 ships instead.*rejected: slower than its fp32 twin/);
  });

  it('faster on this class: int8 stays a candidate and wins on accuracy', () => {
    const r = recommend({ cls: rpi, budget: {}, family: 'fm', variants: twins, observations: reports({ 's64-fp32': 0.024, 's64-int8': 0.02, 's64-fp16': 0.03 }), classes });
    assert.equal(r.chosen?.variantId, 's64-int8');
  });

  it('no reports on the class: the timing where it was made decides; fp16 ships when fp32 does not fit', () => {
    const slow = twins.map((v) => (v.precision === 'int8' ? { ...v, madeLatency: { p50Ms: 0.028, fp32P50Ms: 0.024 } } : v));
    // Memory prior 8 MB + 1.65 × model MB: the budget admits fp16 (0.1 MB) and int8, not fp32 (0.2 MB).
    const budget = { maxMemoryMb: MEMORY_PRIOR.a + MEMORY_PRIOR.b * 0.15 / 1.048576 };
    const r = recommend({ cls: rpi, budget, family: 'fm', variants: slow, observations: [], classes });
    assert.equal(r.chosen?.variantId, 's64-fp16');
    assert.match(r.candidates.find((c) => c.precision === 'int8')!.reasons.join(' '), /timed where it was made: p50 0\.028 ms vs fp32 0\.024 ms/);
    const fast = twins.map((v) => (v.precision === 'int8' ? { ...v, madeLatency: { p50Ms: 0.02, fp32P50Ms: 0.024 } } : v));
    assert.equal(recommend({ cls: rpi, budget, family: 'fm', variants: fast, observations: [], classes }).chosen?.variantId, 's64-int8');
  });
});

describe('text families (a featurizer\'s bucket vector: one dimension, MLP students only)', () => {
  // A text family as the catalogue describes it: input [batch, buckets], 176 languages out (fastText's classes).
  const text = [
    variant('lid-128', 8192 * 128 + 128 * 176, { family: 'lid', inputShape: [8192], numClasses: 176, accuracy: 0.9 }),
    variant('lid-64', 8192 * 64 + 64 * 176, { family: 'lid', inputShape: [8192], numClasses: 176, accuracy: 0.88 }),
  ];
  const textObs = syntheticReports(truth, classes, text, 1, 0.03, 5);

  it('sizes an MLP on the bucket vector when no variant fits, and never a CNN (4096 buckets are not a 64x64 image)', () => {
    const budget = { maxLatencyP95Ms: trueLatency(truth, rpi, text[1]!.macs) / 2 };
    const r = recommend({ cls: rpi, budget, family: 'lid', variants: text, observations: textObs, classes });
    assert.equal(r.decision, 'distill-student');
    assert.match(r.student!.student, /^mlp:\d+(x\d+)*$/);
    assert.deepEqual(r.student!.spec.inputShape, [8192]);
    assert.equal(r.student!.macs < text[1]!.macs, true);
    for (const buckets of [8192, 4096]) assert.ok(studentSearchSpace([buckets], 176).every((s) => s.spec.family === 'mlp'), `${buckets} buckets`);
    assert.ok(studentForSizeBudget({ maxParams: 300_000 }, [8192], 176).student.startsWith('mlp:'));
  });
});
