import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { plan, type PlanDistillation, type PlanInput } from './autopilot.planner';

const at = new Date('2026-01-01T00:00:00Z');
const input = (over: Partial<PlanInput> = {}): PlanInput => ({
  recommendation: { decision: 'use-existing', chosenArtifactId: 'A', reasons: ['use A'] },
  devices: [{ id: 'd1', activeArtifactId: null, unfinishedArtifactIds: [] }, { id: 'd2', activeArtifactId: 'A', unfinishedArtifactIds: [] }],
  rejected: [], distillations: [], canDistill: true, maxDistillations: 2, ...over,
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
});
