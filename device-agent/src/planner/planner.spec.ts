import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROTOCOL_VERSION, type DesiredStateMessage } from '@edgefleet/contracts';
import { plan, type PlanInput } from './planner';

const sha = (c: string) => c.repeat(64);
const desired = (over: Partial<DesiredStateMessage['artifact']> = {}): DesiredStateMessage => ({
  v: PROTOCOL_VERSION,
  deviceId: 'dev-1',
  seq: 1,
  deploymentId: 'dep-1',
  issuedAt: '2025-01-01T00:00:00Z',
  expiresAt: '2025-01-02T00:00:00Z',
  keyId: '0123456789abcdef',
  artifact: { id: 'a', name: 'm', version: '1', precision: 'fp32', sha256: sha('a'), size: 200_000, blockSize: 65_536, ...over },
  gates: {},
});
const input = (over: Partial<PlanInput> = {}): PlanInput => ({ desired: desired(), expired: false, state: { outcomes: [] }, objects: {}, ...over });
const kinds = (i: PlanInput) => plan(i).map((s) => s.kind);

describe('plan', () => {
  it('does nothing without a desired state', () => {
    assert.deepEqual(kinds(input({ desired: undefined })), ['nothing']);
  });

  it('fetches, verifies, benchmarks and decides a new model', () => {
    const steps = plan(input());
    assert.deepEqual(steps.map((s) => s.kind), ['fetch', 'verify', 'benchmark', 'decide']);
    const fetch = steps[0]!;
    assert.ok(fetch.kind === 'fetch');
    assert.equal(fetch.totalBlocks, 4); // 200000 / 65536 → 3.05 → 4
    assert.equal(fetch.haveBlocks, 0);
  });

  it('refuses a text model whose featurizer this agent does not know, before fetching, with the reason', () => {
    const featurizer = { id: 'hashed-ngrams', version: 1, charMin: 1, charMax: 4, wordMin: 1, wordMax: 1, seed: 0, buckets: 4096, maxChars: 400 };
    assert.deepEqual(kinds(input({ desired: desired({ featurizer }) })), ['fetch', 'verify', 'benchmark', 'decide']);
    const steps = plan(input({ desired: desired({ featurizer: { ...featurizer, version: 7 } }) }));
    assert.equal(steps.length, 1);
    assert.ok(steps[0]!.kind === 'reject' && /text model refused: text featurizer hashed-ngrams version 7 is not supported/.test(steps[0]!.reason), JSON.stringify(steps));
    assert.match((plan(input({ desired: desired({ featurizer: { id: 'sentencepiece', version: 1 } }) }))[0] as { reason: string }).reason, /unknown text featurizer "sentencepiece"/);
  });

  it('resumes from the blocks already on disk', () => {
    const steps = plan(input({ objects: { [sha('a')]: { stored: false, haveBlocks: 3 } } }));
    assert.ok(steps[0]!.kind === 'fetch' && steps[0]!.haveBlocks === 3);
  });

  it('skips the transfer of a verified object', () => {
    assert.deepEqual(kinds(input({ objects: { [sha('a')]: { stored: true } } })), ['benchmark', 'decide']);
  });

  it('fetches the eval set too, with the same block size', () => {
    const d = desired({ evalSet: { sha256: sha('e'), size: 1000, samples: 10 } });
    const steps = plan(input({ desired: d, objects: { [sha('a')]: { stored: true } } }));
    assert.deepEqual(steps.map((s) => s.kind), ['fetch', 'verify', 'benchmark', 'decide']);
    assert.ok(steps[0]!.kind === 'fetch' && steps[0]!.object === 'eval-set' && steps[0]!.ref.blockSize === 65_536);
    assert.ok(steps[2]!.kind === 'benchmark' && steps[2]!.evalSetSha256 === sha('e'));
  });

  it('never redoes a deployment it already finished, whatever the outcome', () => {
    for (const outcome of ['activated', 'rejected', 'failed'] as const) {
      const steps = plan(input({ state: { outcomes: [{ deploymentId: 'dep-1', sha256: sha('a'), outcome, at: 'x' }] } }));
      assert.equal(steps[0]!.kind, 'nothing');
    }
  });

  it('treats the same artifact under a new deployment as new work', () => {
    const steps = plan(input({ state: { outcomes: [{ deploymentId: 'dep-0', sha256: sha('a'), outcome: 'failed', at: 'x' }] } }));
    assert.equal(steps[0]!.kind, 'fetch');
  });

  it('stage mode: stages the model (gates judged, not activated), waits while staged, activates at the switch without measuring again', () => {
    const staging = desired();
    staging.stage = true;
    assert.deepEqual(kinds(input({ desired: staging })), ['fetch', 'verify', 'benchmark', 'stage']);
    const bench = { latency: { p50Ms: 1, p95Ms: 2, p99Ms: 2, meanMs: 1 } } as never;
    const staged = { deploymentId: 'dep-1', sha256: sha('a'), bench, latencyAttempts: [2], at: 'x' };
    const stored = { [sha('a')]: { stored: true as const } };
    const waiting = plan(input({ desired: staging, state: { outcomes: [], staged }, objects: stored }));
    assert.ok(waiting[0]!.kind === 'nothing' && /staged; waiting for the switch/.test(waiting[0]!.reason));
    assert.deepEqual(kinds(input({ state: { outcomes: [], staged }, objects: stored })), ['decide'], 'the switch: the same deployment without stage');
    assert.deepEqual(kinds(input({ state: { outcomes: [], staged }, objects: {} })), ['fetch', 'verify', 'benchmark', 'decide'], 'staged object gone: start over');
    assert.deepEqual(kinds(input({ state: { outcomes: [], staged: { ...staged, deploymentId: 'dep-0' } }, objects: stored })), ['benchmark', 'decide'], 'another deployment\'s staging does not count');
  });

  it('starts no work on an expired desired state', () => {
    const steps = plan(input({ expired: true }));
    assert.equal(steps[0]!.kind, 'nothing');
    assert.ok(steps[0]!.kind === 'nothing' && /expired/.test(steps[0]!.reason));
  });
});
