import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { excludedVariants, plan, REMEASURE_FACTOR, PROBE_FACTOR, UPGRADE_MARGIN, WEAK_PROBE_FACTOR, type PlanDistillation, type PlanInput } from './autopilot.planner';

const at = new Date('2026-01-01T00:00:00Z');
const input = (over: Partial<PlanInput> = {}): PlanInput => ({
  recommendation: { decision: 'use-existing', chosenArtifactId: 'A', reasons: ['use A'] },
  devices: [{ id: 'd1', activeArtifactId: null, unfinishedArtifactIds: [] }, { id: 'd2', activeArtifactId: 'A', unfinishedArtifactIds: [] }],
  rejected: [], passed: [], distillations: [], canDistill: true, maxDistillations: 2, ...over,
});
const job = (status: PlanDistillation['status'], student = 'mlp:16', error?: string): PlanDistillation => ({ student, jobId: `job-${status}`, status, error, createdAt: at });

describe('autopilot planner', () => {
  it('deploys the chosen variant only to devices that neither run it nor are installing it', () => {
    assert.deepEqual(plan(input()), { kind: 'deploy', artifactId: 'A', deviceIds: ['d1'] });
    const installing = input({ devices: [{ id: 'd1', activeArtifactId: 'B', unfinishedArtifactIds: ['A'] }] });
    assert.equal(plan(installing).kind, 'settle');
    assert.equal((plan(installing) as { status: string }).status, 'deploying');
  });

  it('is active when every device runs the choice', () => {
    const p = plan(input({ devices: [{ id: 'd2', activeArtifactId: 'A', unfinishedArtifactIds: [] }] }));
    assert.deepEqual(p, { kind: 'settle', status: 'active', artifactId: 'A', reason: 'use A' });
  });

  it('distils the proposed student once, waits for it, and never retries a failed job', () => {
    const distill = { recommendation: { decision: 'distill-student' as const, student: 'mlp:16', reasons: ['no variant fits'] } };
    assert.deepEqual(plan(input(distill)), { kind: 'distill', student: 'mlp:16' });
    assert.equal((plan(input({ ...distill, distillations: [job('running')] })) as { status: string }).status, 'distilling');
    const failed = plan(input({ ...distill, distillations: [job('failed', 'mlp:16', 'boom')] }));
    assert.equal((failed as { status: string }).status, 'failed');
    assert.match((failed as { reason: string }).reason, /boom; not retried/);
    // Even when the recommendation has since moved to a variant, a failed job is not silently forgotten.
    assert.equal((plan(input({ distillations: [job('cancelled')] })) as { status: string }).status, 'failed');
  });

  it('does not distil the same student again when its variants turned out not to fit, nor more than the limit', () => {
    const distill = { recommendation: { decision: 'distill-student' as const, student: 'mlp:16', reasons: ['x'] } };
    const again = plan(input({ ...distill, distillations: [job('succeeded')] }));
    assert.equal((again as { status: string }).status, 'failed');
    const rejectedToo = plan(input({ ...distill, rejected: ['S'], distillations: [job('succeeded')] }));
    assert.equal((rejectedToo as { status: string }).status, 'rejected');
    const limit = plan(input({ recommendation: { decision: 'distill-student', student: 'mlp:8', reasons: [] }, distillations: [job('succeeded', 'mlp:16'), job('succeeded', 'mlp:12')] }));
    assert.match((limit as { reason: string }).reason, /gave up after 2/);
    assert.deepEqual(plan(input({ recommendation: { decision: 'distill-student', student: 'mlp:8', reasons: [] }, distillations: [job('succeeded', 'mlp:16')] })), { kind: 'distill', student: 'mlp:8' });
    const noSettings = plan(input({ ...distill, canDistill: false }));
    assert.equal((noSettings as { status: string }).status, 'failed');
  });

  it('settles infeasible (no job) when no student can fit, rejected when devices refused what could', () => {
    const none = { recommendation: { decision: 'no-feasible-student' as const, reasons: ['no feasible student: too tight', 'closest: A'] } };
    assert.deepEqual(plan(input(none)), { kind: 'settle', status: 'infeasible', reason: 'no feasible student: too tight; closest: A' });
    assert.equal((plan(input({ ...none, rejected: ['A'] })) as { status: string }).status, 'rejected');
  });

  it('distils the smallest student once when it is predicted within the probe factor of the budget, so the class measures it', () => {
    const near = { decision: 'no-feasible-student' as const, smallestStudent: { student: 'mlp:8', worstRatio: 1.14 }, reasons: ['no feasible student: mlp:8 predicted 0.5 ms'] };
    const p = plan(input({ recommendation: near }));
    assert.equal(p.kind, 'distill');
    assert.equal((p as { student: string }).student, 'mlp:8');
    assert.match((p as { reason: string }).reason, /smallest, mlp:8, predicted at 1\.14× the budget/);
    // Distilled (its variants then refused by the devices): not again — decided on the measurement.
    assert.equal((plan(input({ recommendation: near, rejected: ['S8'], distillations: [job('succeeded', 'mlp:8')] })) as { status: string }).status, 'rejected');
    // Too far over, no distill settings, or the limit reached: infeasible as before.
    for (const over of [
      { recommendation: { ...near, smallestStudent: { student: 'mlp:8', worstRatio: PROBE_FACTOR * 1.01 } } },
      { recommendation: near, canDistill: false },
      { recommendation: near, distillations: [job('succeeded', 'mlp:32'), job('succeeded', 'mlp:16')] },
    ]) assert.equal((plan(input(over)) as { status: string }).status, 'infeasible', JSON.stringify(over));
  });

  it('tries a never-tried near miss before distilling or giving up, once, and keeps a variant that passed on the devices', () => {
    const devices = [{ id: 'd1', activeArtifactId: null, unfinishedArtifactIds: [] }];
    const nearMisses = [{ artifactId: 'FAR', worstRatio: PROBE_FACTOR * 1.5 }, { artifactId: 'N1', worstRatio: 1.3 }, { artifactId: 'N2', worstRatio: 1.1 }];
    const distill = { decision: 'distill-student' as const, student: 'mlp:16', nearMisses, reasons: ['no variant fits'] };
    // The most accurate near miss within the factor (N1; FAR is too far over) is benchmarked instead of distilling.
    assert.deepEqual(plan(input({ devices, recommendation: distill })), { kind: 'deploy', artifactId: 'N1', deviceIds: ['d1'] });
    const installing = plan(input({ devices: [{ id: 'd1', activeArtifactId: null, unfinishedArtifactIds: ['N1'] }], recommendation: distill }));
    assert.equal((installing as { status: string }).status, 'deploying');
    // N1 rejected → N2; both rejected → the student after all.
    assert.deepEqual(plan(input({ devices, rejected: ['N1'], recommendation: distill })), { kind: 'deploy', artifactId: 'N2', deviceIds: ['d1'] });
    assert.deepEqual(plan(input({ devices, rejected: ['N1', 'N2'], recommendation: distill })), { kind: 'distill', student: 'mlp:16' });
    // N2 passed its gates on the device: it stays, even though predictions still say nothing fits.
    const kept = plan(input({ devices: [{ id: 'd1', activeArtifactId: 'N2', unfinishedArtifactIds: [] }], rejected: ['N1'], passed: ['N2'], recommendation: distill }));
    assert.equal((kept as { status: string }).status, 'active');
    assert.equal((kept as { artifactId: string }).artifactId, 'N2');
    // A variant that passed but no longer runs everywhere is not kept (nor re-tried): the usual rules apply.
    const mixed = plan(input({ devices: [{ id: 'd1', activeArtifactId: 'N2', unfinishedArtifactIds: [] }, { id: 'd2', activeArtifactId: null, unfinishedArtifactIds: [] }], rejected: ['N1'], passed: ['N2'], recommendation: distill }));
    assert.deepEqual(mixed, { kind: 'distill', student: 'mlp:16' });
    const none = { decision: 'no-feasible-student' as const, nearMisses, reasons: ['no feasible student'] };
    assert.deepEqual(plan(input({ devices, recommendation: none })), { kind: 'deploy', artifactId: 'N1', deviceIds: ['d1'] });
    assert.equal((plan(input({ devices, rejected: ['N1', 'N2'], recommendation: none })) as { status: string }).status, 'rejected');
  });

  it('probes a variant that misses only on a weak prediction (no measurement of the class), however far over, before distilling or giving up', () => {
    const devices = [{ id: 'd1', activeArtifactId: null, unfinishedArtifactIds: [] }];
    // 44 ms predicted from the prior for a 5 ms budget (8.8×), measured 1.8 ms once it ran: the first prediction.
    const weak = { artifactId: 'T', worstRatio: 8.8, weakEvidence: true };
    const distill = { decision: 'distill-student' as const, student: 'mlp:16', nearMisses: [weak], reasons: ['no variant fits'] };
    assert.deepEqual(plan(input({ devices, recommendation: distill })), { kind: 'deploy', artifactId: 'T', deviceIds: ['d1'] });
    const none = { decision: 'no-feasible-student' as const, nearMisses: [weak], reasons: ['no feasible student'] };
    assert.deepEqual(plan(input({ devices, recommendation: none })), { kind: 'deploy', artifactId: 'T', deviceIds: ['d1'] });
    const installing = plan(input({ devices: [{ id: 'd1', activeArtifactId: null, unfinishedArtifactIds: ['T'] }], recommendation: distill }));
    assert.match((installing as { reason: string }).reason, /on no measurement of this class/);
    // Measured and refused: decided on evidence now.
    assert.deepEqual(plan(input({ devices, rejected: ['T'], recommendation: distill })), { kind: 'distill', student: 'mlp:16' });
    // The same ratio resting on the class's own measurements is not probed; nor is a weak one beyond any error seen.
    const strong = { ...distill, nearMisses: [{ ...weak, weakEvidence: false }] };
    assert.deepEqual(plan(input({ devices, recommendation: strong })), { kind: 'distill', student: 'mlp:16' });
    const hopeless = { ...distill, nearMisses: [{ ...weak, worstRatio: WEAK_PROBE_FACTOR * 1.01 }] };
    assert.deepEqual(plan(input({ devices, recommendation: hopeless })), { kind: 'distill', student: 'mlp:16' });
  });

  it('probes a near miss the devices already run (deployed by hand) against the target\'s gates instead of waiting as deploying', () => {
    const distill = { decision: 'distill-student' as const, student: 'mlp:16', nearMisses: [{ artifactId: 'N1', worstRatio: 1.3 }], reasons: ['no variant fits'] };
    const byHand = [{ id: 'd1', activeArtifactId: 'N1', unfinishedArtifactIds: [] }, { id: 'd2', activeArtifactId: 'N1', unfinishedArtifactIds: [] }];
    assert.deepEqual(plan(input({ devices: byHand, recommendation: distill })), { kind: 'deploy', artifactId: 'N1', deviceIds: ['d1', 'd2'] });
    // Once this target's deployment activated it there, the class is active on it.
    const passed = plan(input({ devices: byHand, passed: ['N1'], recommendation: distill }));
    assert.deepEqual([(passed as { status: string }).status, (passed as { artifactId: string }).artifactId], ['active', 'N1']);
  });

  it('a class whose devices all run the chosen variant is active, whoever deployed it', () => {
    const byHand = [{ id: 'd1', activeArtifactId: 'A', unfinishedArtifactIds: [] }, { id: 'd2', activeArtifactId: 'A', unfinishedArtifactIds: [] }];
    const p = plan(input({ devices: byHand }));
    assert.deepEqual([p.kind, (p as { status: string }).status, (p as { artifactId: string }).artifactId], ['settle', 'active', 'A']);
  });
});

describe('autopilot planner: a class running a measured fit does not flap on moved predictions', () => {
  const running = (over: Partial<PlanInput>): PlanInput => input({
    devices: [{ id: 'd1', activeArtifactId: 'M', unfinishedArtifactIds: [] }, { id: 'd2', activeArtifactId: 'M', unfinishedArtifactIds: [] }],
    passed: ['M'], ...over,
  });
  const rec = (chosen: string, cands: Array<[string, number, number]>) => ({
    decision: 'use-existing' as const, chosenArtifactId: chosen, reasons: [`use ${chosen}`],
    candidates: cands.map(([artifactId, accuracy, worstRatio]) => ({ artifactId, accuracy, worstRatio })),
  });

  it('stays on the measured fit when the new choice is not more accurate', () => {
    const p = plan(running({ recommendation: rec('L', [['M', 0.93, 1.2], ['L', 0.9, 0.5]]) }));
    assert.equal(p.kind, 'settle');
    assert.deepEqual([(p as { status: string }).status, (p as { artifactId: string }).artifactId], ['active', 'M']);
    assert.match((p as { reason: string }).reason, /not more accurate/);
  });

  it(`stays when a more accurate choice is predicted above ${UPGRADE_MARGIN}× the budget; upgrades when within it`, () => {
    const near = plan(running({ recommendation: rec('T', [['T', 0.97, 0.95], ['M', 0.93, 0.6]]) }));
    assert.deepEqual([(near as { status: string }).status, (near as { artifactId: string }).artifactId], ['active', 'M']);
    assert.match((near as { reason: string }).reason, /more accurate but predicted at 0\.95×/);
    assert.deepEqual(plan(running({ recommendation: rec('T', [['T', 0.97, 0.7], ['M', 0.93, 0.6]]) })), { kind: 'deploy', artifactId: 'T', deviceIds: ['d1', 'd2'] });
  });

  it('does not hold on to a variant that was not measured here, or that a device of the class rejected', () => {
    const notPassed = plan(running({ passed: [], recommendation: rec('L', [['M', 0.93, 1.2], ['L', 0.9, 0.5]]) }));
    assert.deepEqual(notPassed, { kind: 'deploy', artifactId: 'L', deviceIds: ['d1', 'd2'] });
    const rejected = plan(running({ rejected: ['M'], recommendation: rec('L', [['M', 0.93, 1.2], ['L', 0.9, 0.5]]) }));
    assert.equal(rejected.kind, 'deploy');
  });

  it('gives a device that joins the class the measured fit, not the moved prediction', () => {
    const joined = plan(running({ devices: [{ id: 'd1', activeArtifactId: 'M', unfinishedArtifactIds: [] }, { id: 'd3', activeArtifactId: null, unfinishedArtifactIds: [] }], recommendation: rec('L', [['M', 0.93, 1.2], ['L', 0.9, 0.5]]) }));
    assert.deepEqual(joined, { kind: 'deploy', artifactId: 'M', deviceIds: ['d3'] });
  });
});

describe('which refused variants are excluded for good', () => {
  const miss = (artifactId: string, deploymentId: string, measured: number, limit = 1, gate = 'maxLatencyP95Ms') => ({ artifactId, deploymentId, failedGates: [{ gate, limit, measured }] });

  it(`measures a variant again after one narrow latency miss (≤ ${REMEASURE_FACTOR}× the limit), and excludes it after a second`, () => {
    assert.deepEqual(excludedVariants([miss('A', 'dep1', 1.6)]), { excluded: [], remeasuring: ['A'] });
    // Two devices of the class in the same deployment are one measurement campaign, not two.
    assert.deepEqual(excludedVariants([miss('A', 'dep1', 1.6), miss('A', 'dep1', 1.3)]), { excluded: [], remeasuring: ['A'] });
    assert.deepEqual(excludedVariants([miss('A', 'dep1', 1.6), miss('A', 'dep2', 1.2)]), { excluded: ['A'], remeasuring: [] });
  });

  it('excludes at once a wide miss, another gate, two failed gates, or a model that could not run', () => {
    const { excluded, remeasuring } = excludedVariants([
      miss('wide', 'd1', 2.5),
      miss('accuracy', 'd1', 0.5, 0.9, 'minAccuracy'),
      { artifactId: 'two', deploymentId: 'd1', failedGates: [{ gate: 'maxLatencyP95Ms', limit: 1, measured: 1.1 }, { gate: 'maxMemoryMb', limit: 10, measured: 11 }] },
      { artifactId: 'crashed', deploymentId: 'd1', failedGates: [] },
    ]);
    assert.deepEqual(excluded.sort(), ['accuracy', 'crashed', 'two', 'wide']);
    assert.deepEqual(remeasuring, []);
  });
});
