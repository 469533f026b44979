/**
 * The executor's benchmark → decide steps with a scripted benchmark: a narrow latency miss is measured once more
 * before rejecting. The benchmark is replaced (ExecutorDeps.benchmark) because what is tested is the decision
 * over a sequence of measurements, which a real onnxruntime run cannot produce on demand; the real benchmark runs
 * in benchmark.spec.ts and the agent's integration spec.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTOCOL_VERSION, type DesiredStateMessage, type Gates } from '@edgefleet/contracts';
import { DEFAULT_BENCHMARK, DEFAULT_TRANSFER } from '../config/agent-options';
import type { IsolatedBenchmarkResult } from '../benchmark/isolated';
import { REMEASURE_FACTOR, remeasureWanted, evaluateGates } from '../benchmark/gates';
import { createLogger } from '../lib/logger';
import { emptyState } from '../state/agent-state';
import { StateStore } from '../state/state-store';
import type { BlockTransport } from '../transfer/block-fetcher';
import { executeSteps } from './executor';

const SHA = 'a'.repeat(64);

/** benchmark → decide never transfers blocks. */
const noTransport: BlockTransport = {
  requestBlocks: () => Promise.reject(new Error('no transfer in this test')),
  onBlock: () => () => {},
  onRejected: () => () => {},
};

function desired(gates: Gates): DesiredStateMessage {
  return {
    v: PROTOCOL_VERSION, deploymentId: 'dep-1', issuedAt: new Date().toISOString(), gates,
    artifact: { id: 'art-1', name: 'm', version: '1', precision: 'fp32', sha256: SHA, size: 10, blockSize: 10 },
  } as DesiredStateMessage;
}

const measured = (p95Ms: number, peakRssMb = 100, accuracy = 0.9): IsolatedBenchmarkResult => ({
  latency: { p50Ms: p95Ms / 2, p95Ms, p99Ms: p95Ms * 1.2, meanMs: p95Ms / 2, minMs: p95Ms / 4, maxMs: p95Ms * 2 },
  runs: 100, warmupRuns: 5, throughputPerSec: 1000 / p95Ms, peakRssMb, modelMemoryMb: peakRssMb - 90, runtimeBaselineMb: 90, accuracy, evalSamples: 50,
  inputSource: 'eval-set', loadMs: 1, measureMs: 100,
});

/** Runs benchmark → decide with the benchmark answering `passes` in turn; returns the report and how many passes ran. */
async function run(gates: Gates, passes: IsolatedBenchmarkResult[]) {
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-executor-'));
  try {
    const lines: string[] = [];
    const logger = createLogger('test', 'info', (l) => lines.push(l));
    const store = new StateStore(dir, logger);
    await store.init();
    let calls = 0;
    const result = await executeSteps([{ kind: 'benchmark', modelSha256: SHA }, { kind: 'decide' }], desired(gates), emptyState(), {
      store, logger, transport: noTransport, publishProgress: () => {}, sendReport: async (r) => r, tuning: DEFAULT_TRANSFER,
      budget: DEFAULT_BENCHMARK, threads: 1, slowdown: 1, simulated: false,
      benchmark: async () => {
        const next = passes[calls++];
        if (!next) throw new Error(`benchmark called ${calls} times, only ${passes.length} scripted`);
        return next;
      },
    }, new AbortController().signal);
    return { report: result.report!, calls, state: result.state, lines };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('executor: a narrow latency miss is measured again before the model is rejected', () => {
  it('activates when the second pass fits; the report carries both p95s and the faster pass', async () => {
    const r = await run({ maxLatencyP95Ms: 1 }, [measured(1.4, 120), measured(0.8, 110)]);
    assert.equal(r.calls, 2);
    assert.equal(r.report.outcome, 'activated');
    assert.deepEqual(r.report.latencyP95Attempts, [1.4, 0.8]);
    assert.equal(r.report.latency!.p95Ms, 0.8);
    assert.equal(r.report.peakRssMb, 120, 'memory: the larger peak of the two passes');
    assert.equal(r.state.active?.sha256, SHA);
    assert.ok(r.lines.some((l) => l.includes('measuring again')), r.lines.join('\n'));
  });

  it('rejects when both passes miss, reporting the faster one', async () => {
    const r = await run({ maxLatencyP95Ms: 1 }, [measured(1.3), measured(1.5)]);
    assert.equal(r.calls, 2);
    assert.equal(r.report.outcome, 'rejected');
    assert.deepEqual(r.report.latencyP95Attempts, [1.3, 1.5]);
    assert.equal(r.report.latency!.p95Ms, 1.3);
    assert.deepEqual(r.report.gateResults.map((g) => [g.gate, g.passed]), [['maxLatencyP95Ms', false]]);
  });

  it(`does not measure again beyond ${REMEASURE_FACTOR}× the gate, when another gate fails, or when it passed`, async () => {
    const far = await run({ maxLatencyP95Ms: 1 }, [measured(REMEASURE_FACTOR + 0.1)]);
    assert.equal(far.calls, 1);
    assert.equal(far.report.outcome, 'rejected');
    assert.equal(far.report.latencyP95Attempts, undefined);
    const accuracy = await run({ maxLatencyP95Ms: 1, minAccuracy: 0.95 }, [measured(1.2, 100, 0.9)]);
    assert.equal(accuracy.calls, 1);
    assert.equal(accuracy.report.outcome, 'rejected');
    const fits = await run({ maxLatencyP95Ms: 1 }, [measured(0.9)]);
    assert.equal(fits.calls, 1);
    assert.equal(fits.report.outcome, 'activated');
    assert.equal(fits.report.latencyP95Attempts, undefined);
  });

  it('remeasureWanted: latency is the only failing gate and within the factor', () => {
    const g = (gates: Gates, p95Ms: number, accuracy?: number, peakRssMb?: number) => remeasureWanted(evaluateGates(gates, { p95Ms, accuracy, modelMemoryMb: peakRssMb }));
    assert.equal(g({ maxLatencyP95Ms: 1 }, 2), true);
    assert.equal(g({ maxLatencyP95Ms: 1 }, 2.01), false);
    assert.equal(g({ maxLatencyP95Ms: 1 }, 1), false);
    assert.equal(g({ maxLatencyP95Ms: 1, maxMemoryMb: 50 }, 1.5, undefined, 60), false);
    assert.equal(g({ maxLatencyP95Ms: 1, maxMemoryMb: 50 }, 1.5, undefined, 40), true);
    assert.equal(g({ minAccuracy: 0.5 }, 1.5, 0.4), false);
  });
});

describe('executor: progress names the object its block counts are about', () => {
  it('the eval set\'s counts carry the eval set\'s sha256, the model\'s the model\'s', async () => {
    const { createHash } = await import('node:crypto');
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const model = Buffer.alloc(1024 * 3 + 5, 7);
    const evalSet = Buffer.alloc(1024 * 2, 9);
    const objects = new Map([[sha(model), model], [sha(evalSet), evalSet]]);
    const listeners = new Map<string, (index: number, payload: Buffer) => void>();
    const transport: BlockTransport = {
      requestBlocks: async (s, index, count) => {
        const bytes = objects.get(s)!;
        for (let i = index; i < index + count && i * 1024 < bytes.length; i++) {
          setImmediate(() => listeners.get(s)?.(i, bytes.subarray(i * 1024, (i + 1) * 1024)));
        }
      },
      onBlock: (s, l) => {
        listeners.set(s, l);
        return () => listeners.delete(s);
      },
      onRejected: () => () => {},
    };
    const dir = await mkdtemp(join(tmpdir(), 'edgefleet-executor-'));
    try {
      const logger = createLogger('test', 'error', () => {});
      const store = new StateStore(dir, logger);
      await store.init();
      const ref = (b: Buffer) => ({ sha256: sha(b), size: b.length, blockSize: 1024 });
      const d = desired({});
      d.artifact = { ...d.artifact, sha256: sha(model), size: model.length, blockSize: 1024 };
      const sent: Array<{ sha256: string; state: string; receivedBlocks: number; totalBlocks: number }> = [];
      await executeSteps([
        { kind: 'fetch', object: 'model', ref: ref(model), haveBlocks: 0, totalBlocks: 4 },
        { kind: 'verify', object: 'model', ref: ref(model) },
        { kind: 'fetch', object: 'eval-set', ref: ref(evalSet), haveBlocks: 0, totalBlocks: 2 },
        { kind: 'verify', object: 'eval-set', ref: ref(evalSet) },
      ], d, emptyState(), {
        store, logger, transport, publishProgress: (p) => sent.push(p), sendReport: async (r) => r, tuning: DEFAULT_TRANSFER,
        budget: DEFAULT_BENCHMARK, threads: 1, slowdown: 1, simulated: false,
      }, new AbortController().signal);
      const downloading = sent.filter((p) => p.state === 'downloading');
      assert.ok(downloading.some((p) => p.sha256 === sha(model) && p.receivedBlocks === 4 && p.totalBlocks === 4), JSON.stringify(sent));
      assert.ok(downloading.some((p) => p.sha256 === sha(evalSet) && p.totalBlocks === 2), JSON.stringify(sent));
      for (const p of downloading) assert.equal(p.totalBlocks, p.sha256 === sha(model) ? 4 : 2, JSON.stringify(p));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('executor: stage mode', () => {
  it('stages a model that passed (not active, progress staged, no report), then activates it at the switch without measuring again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgefleet-executor-'));
    try {
      const logger = createLogger('test', 'error', () => {});
      const store = new StateStore(dir, logger);
      await store.init();
      const progress: string[] = [];
      const reports: string[] = [];
      let benchmarks = 0;
      const deps = {
        store, logger, transport: noTransport, publishProgress: (p: { state: string }) => progress.push(p.state),
        sendReport: async (r: { outcome: string }) => (reports.push(r.outcome), r) as never, tuning: DEFAULT_TRANSFER,
        budget: DEFAULT_BENCHMARK, threads: 1, slowdown: 1, simulated: false, benchmark: async () => (benchmarks++, measured(0.5)),
      };
      const staging = { ...desired({ maxLatencyP95Ms: 1 }), stage: true };
      const staged = await executeSteps([{ kind: 'benchmark', modelSha256: SHA }, { kind: 'stage' }], staging, emptyState(), deps, new AbortController().signal);
      assert.equal(staged.report, undefined);
      assert.equal(staged.state.active, undefined, 'not activated while staged');
      assert.equal(staged.state.staged?.deploymentId, 'dep-1');
      assert.deepEqual(progress, ['benchmarking', 'staged']);
      assert.equal((await store.load()).staged?.bench.latency.p95Ms, 0.5, 'staged survives a restart');

      const switched = await executeSteps([{ kind: 'decide' }], desired({ maxLatencyP95Ms: 1 }), staged.state, deps, new AbortController().signal);
      assert.equal(switched.report?.outcome, 'activated');
      assert.equal(switched.report?.latency?.p95Ms, 0.5, 'the staged measurements');
      assert.equal(benchmarks, 1, 'not benchmarked again');
      assert.equal(switched.state.active?.sha256, SHA);
      assert.equal(switched.state.staged, undefined);

      const failing = await executeSteps([{ kind: 'benchmark', modelSha256: SHA }, { kind: 'stage' }], { ...staging, deploymentId: 'dep-2', gates: { maxLatencyP95Ms: 0.1 } }, emptyState(), deps, new AbortController().signal);
      assert.equal(failing.report?.outcome, 'rejected', 'a model that fails the gates is rejected at once, as without stage mode');
      assert.equal(failing.state.staged, undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
