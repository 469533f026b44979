/**
 * Unit tier: AutopilotService and AutopilotScheduler with the repository and the other modules' services faked
 * (each fake method counts one database round trip). What is checked is cost: a reconcile reads the fleet in a
 * fixed number of calls whatever its size, and the watch looks at every waiting pair in three.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AutopilotConfig } from './autopilot.config';
import { AutopilotScheduler } from './autopilot.scheduler';
import { AutopilotService, type Pair } from './autopilot.service';
import type { TargetRecord } from './autopilot.types';

const target: TargetRecord = {
  id: 't1', name: 'fleet', family: 'fam', selector: { tags: ['a'] }, budget: { maxLatencyP95Ms: 5 }, createdBy: 'test', pausedAt: null, pausedBy: null, createdAt: new Date(0), updatedAt: new Date(0),
};

/** Wraps every method of `o` so each call counts one round trip. */
function counted<T extends object>(calls: Map<string, number>, name: string, o: T): T {
  return new Proxy(o, {
    get(obj, prop, recv) {
      const v = Reflect.get(obj, prop, recv) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.set(`${name}.${String(prop)}`, (calls.get(`${name}.${String(prop)}`) ?? 0) + 1);
        return (v as (...a: unknown[]) => unknown).apply(obj, args);
      };
    },
  });
}

function fleet(devices: number, distillations: number, waiting = 0) {
  const calls = new Map<string, number>();
  const repo = counted(calls, 'repo', {
    findTarget: async () => target,
    allTargets: async () => [target],
    acquire: async () => true,
    pinnedAmong: async () => new Set<string>(),
    release: async () => undefined,
    distillations: async () => Array.from({ length: distillations }, (_, i) => ({ student: `mlp:${i + 1}`, jobId: `job-${i}`, createdAt: new Date(i) })),
    listWaiting: async () => Array.from({ length: waiting }, (_, i) => ({
      targetId: 't1', profileClass: `c${i}`, status: i % 2 ? 'deploying' : 'distilling', distillationJobId: `job-${i}`, deploymentId: `dep-${i}`, updatedAt: new Date(0),
    })),
  });
  const selection = counted(calls, 'selection', {
    recommend: async () => ({
      profileClass: 'c', budget: {}, decision: 'use-existing', reasons: ['use A'], skipped: [], classModel: {},
      chosen: { variantId: 'A', name: 'a', precision: 'fp32', accuracy: 0.9, worstRatio: 0.5, fits: true }, candidates: [{ variantId: 'A', accuracy: 0.9, worstRatio: 0.5, fits: true, latencySource: 'measured' }],
    }),
  });
  const deployments = counted(calls, 'deployments', {
    classOutcomes: async () => ({ passed: ['A'], refusals: [] }),
    unfinishedArtifacts: async () => new Map<string, string[]>(),
    statuses: async (ids: string[]) => new Map(ids.map((id) => [id, 'in_progress'])),
    create: async () => ({ id: 'dep-new' }),
  });
  const devicesSvc = counted(calls, 'devices', {
    classMembers: async () => Array.from({ length: devices }, (_, i) => ({ id: `d${i}`, activeArtifactId: 'A' })),
    classesOf: async () => ['c'],
    find: async () => ({ id: 'd0', profileClass: 'c', tags: ['a'] }),
  });
  const distillationsSvc = counted(calls, 'distillations', {
    outcomes: async (ids: string[]) => new Map(ids.map((id) => [id, { status: id.endsWith('0') ? 'running' : 'succeeded', error: null }])),
  });
  const service = new AutopilotService(repo as never, selection as never, deployments as never, devicesSvc as never, distillationsSvc as never, AutopilotConfig.defaults());
  const total = () => [...calls.values()].reduce((a, b) => a + b, 0);
  return { service, calls, total };
}

describe('autopilot cost', () => {
  it('a reconcile reads the fleet in the same few calls for 3 devices or 1,000, and for 1 distillation or 40', async () => {
    const small = fleet(3, 1);
    const big = fleet(1000, 40);
    const a = await small.service.reconcilePair('t1', 'c');
    const b = await big.service.reconcilePair('t1', 'c');
    assert.equal(a.kind, 'done');
    assert.equal(b.kind, 'done');
    assert.deepEqual([...big.calls].sort(), [...small.calls].sort(), 'the same calls, each once');
    assert.ok(big.total() <= 10, `${big.total()} calls: ${JSON.stringify([...big.calls])}`);
  });

  it('the watch looks at 1 or 200 waiting pairs in three calls, and only finished work is due', async () => {
    for (const waiting of [1, 200]) {
      const f = fleet(3, 0, waiting);
      const due = await f.service.pairsDue();
      assert.ok(f.total() <= 3, `${waiting} waiting: ${JSON.stringify([...f.calls])}`);
      // Deployments are all in progress (not due); jobs ending in 0 are running, the others succeeded (due).
      const want = Array.from({ length: waiting }, (_, i) => i).filter((i) => i % 2 === 0 && !`job-${i}`.endsWith('0')).map((i) => `c${i}`);
      assert.deepEqual(due.map((p) => p.profileClass), want);
    }
  });

  it('the scheduler merges repeated requests for a pair, runs event work before the safety pass, and pauses after each item', async () => {
    const reconciled: string[] = [];
    const fake = {
      allPairs: async (): Promise<Pair[]> => Array.from({ length: 5 }, (_, i) => ({ targetId: 't1', profileClass: `sweep-${i}` })),
      pairsOfDevice: async (d: { profileClass: string }): Promise<Pair[]> => [{ targetId: 't1', profileClass: d.profileClass }],
      pairsDue: async () => [],
      reconcilePair: async (_t: string, cls: string) => {
        reconciled.push(cls);
        const until = performance.now() + 5;
        while (performance.now() < until) { /* busy like a reconcile */ }
        return { kind: 'done' };
      },
    };
    const config = AutopilotConfig.fromEnv({ AUTOPILOT_INTERVAL_MS: '3600000', AUTOPILOT_WATCH_MS: '3600000', AUTOPILOT_MAX_SHARE_PERCENT: '50' });
    const scheduler = new AutopilotScheduler(fake as never, config);
    scheduler.onApplicationBootstrap(); // queues the first safety pass
    for (let i = 0; i < 50; i++) scheduler.deviceChanged({ deviceId: 'd1', profileClass: 'evt', tags: [] });
    await scheduler.idle();
    await scheduler.beforeApplicationShutdown();
    assert.equal(reconciled.filter((c) => c === 'evt').length, 1, `reconciled: ${reconciled.join(',')}`);
    assert.equal(reconciled.length, 6);
    assert.ok(reconciled.indexOf('evt') < reconciled.indexOf('sweep-1'), `event work waits behind at most the pair running: ${reconciled.join(',')}`);
    const s = scheduler.stats;
    assert.equal(s.reconciles, 6);
    assert.ok(s.pausedMs >= s.reconcileMs * 0.9, `at 50% share the loop pauses as long as it works: busy ${s.reconcileMs} ms, paused ${s.pausedMs} ms`);
  });
});
