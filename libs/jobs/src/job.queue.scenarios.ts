/**
 * Queue behaviour, run by the specs against a real PostgreSQL (several connections racing) and against PGlite.
 * Test-only.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PrismaClient } from '@edgefleet/db';
import { JobQueue } from './job.queue';
import { JobWorker } from './job.worker';
import { PermanentJobError } from './job.errors';
import { LeaseLostError } from './job.errors';

export interface QueueTarget {
  /** Independent clients (separate connections/pools where the database allows it), one per simulated machine. */
  clients: PrismaClient[];
  close(): Promise<void>;
}

export function describeQueue(name: string, open: () => Promise<QueueTarget>, skipped: (t: TestContext) => boolean = () => false): void {
  describe(`job queue on ${name}`, () => {
    let target: QueueTarget | undefined;
    let queues: JobQueue[] = [];
    before(async () => {
      target = await open().catch((err: unknown) => {
        if (err instanceof SkipTarget) return undefined;
        throw err;
      });
      queues = target?.clients.map((c) => new JobQueue(c)) ?? [];
    });
    after(async () => {
      await target?.close();
    });
    const test = (title: string, fn: () => Promise<void>) => it(title, async (t) => {
      if (skipped(t) || !target) return;
      await fn();
    });

    void test('workers racing on several connections claim every job exactly once', async () => {
      const q = `race-${Date.now()}`;
      const N = 40;
      for (let i = 0; i < N; i++) await queues[0]!.enqueue(q, { i });
      const runs = new Map<number, number>();
      const workers = Array.from({ length: 6 }, (_, k) => new JobWorker(queues[k % queues.length]!, { queue: q, pollMs: 20, heartbeatMs: 50, leaseMs: 5_000 }, async ({ job }) => {
        const i = (job.payload as { i: number }).i;
        runs.set(i, (runs.get(i) ?? 0) + 1);
        await sleep(2);
        return { kind: 'succeeded', result: { i } };
      }));
      workers.forEach((w) => w.start());
      const deadline = Date.now() + 20_000;
      while ((await queues[0]!.list(q, { limit: 1, offset: 0 }, 'succeeded')).total < N && Date.now() < deadline) await sleep(50);
      await Promise.all(workers.map((w) => w.stop()));
      assert.equal(runs.size, N, 'every job ran');
      assert.deepEqual([...runs.values()].filter((c) => c !== 1), [], 'no job ran twice');
      const all = await queues[0]!.list(q, { limit: 100, offset: 0 });
      assert.ok(all.items.every((j) => j.status === 'succeeded' && j.attempts === 1 && j.leaseToken === null));
      // Raw claims racing directly (no worker pacing): still disjoint.
      const q2 = `${q}-raw`;
      for (let i = 0; i < 20; i++) await queues[0]!.enqueue(q2, { i });
      const claimed = await Promise.all(Array.from({ length: 30 }, (_, k) => queues[k % queues.length]!.claim(q2, `w${k}`, 5_000)));
      const ids = claimed.filter((c) => c !== undefined).map((c) => c.job.id);
      assert.equal(ids.length, 20);
      assert.equal(new Set(ids).size, 20);
    });

    void test('a job whose worker died is claimed again after its lease expires; the dead attempt is fenced off', async () => {
      const q = `lease-${Date.now()}`;
      const job = await queues[0]!.enqueue(q, {}, { maxAttempts: 2 });
      const first = await queues[0]!.claim(q, 'dies', 300);
      assert.equal(first?.job.id, job.id);
      assert.equal(await queues[1 % queues.length]!.claim(q, 'other', 300), undefined, 'held lease: not claimable');
      await sleep(450);
      const second = await queues[1 % queues.length]!.claim(q, 'survivor', 300);
      assert.equal(second?.job.id, job.id);
      assert.equal(second?.job.attempts, 2);
      await assert.rejects(queues[0]!.complete(job.id, first!.leaseToken, { late: true }), LeaseLostError);
      assert.deepEqual(await queues[0]!.heartbeat(job.id, first!.leaseToken, 300), { held: false });
      // The survivor dies too: attempts are used up, so expiry fails the job instead of claiming it a third time.
      await sleep(450);
      assert.equal(await queues[0]!.claim(q, 'third', 300), undefined);
      const row = await queues[0]!.get(job.id);
      assert.equal(row?.status, 'failed');
      assert.match(row?.error ?? '', /lease expired on attempt 2 of 2/);
    });

    void test('a stopping worker hands its running job back without counting the attempt', async () => {
      const q = `stop-${Date.now()}`;
      const job = await queues[0]!.enqueue(q, {}, { maxAttempts: 1 });
      let started!: () => void;
      const startedP = new Promise<void>((r) => { started = r; });
      const w = new JobWorker(queues[0]!, { queue: q, pollMs: 20, heartbeatMs: 50, leaseMs: 5_000 }, async ({ signal }) => {
        started();
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        return { kind: 'failed', error: 'interrupted', retry: true };
      });
      w.start();
      await startedP;
      await w.stop();
      const row = await queues[0]!.get(job.id);
      assert.deepEqual([row?.status, row?.attempts, row?.leaseToken], ['queued', 0, null]);
      const again = await queues[1 % queues.length]!.claim(q, 'next', 5_000);
      assert.equal(again?.job.attempts, 1, 'still claimable with maxAttempts 1');
    });

    void test('a thrown handler is retried, then failed after maxAttempts; retry:false fails at once', async () => {
      const q = `retry-${Date.now()}`;
      const flaky = await queues[0]!.enqueue(q, { kind: 'throws' }, { maxAttempts: 2 });
      const bad = await queues[0]!.enqueue(q, { kind: 'bad-input' }, { maxAttempts: 3 });
      const doomed = await queues[0]!.enqueue(q, { kind: 'throws-permanent' }, { maxAttempts: 3 });
      const w = new JobWorker(queues[0]!, { queue: q, retryDelayMs: 0, heartbeatMs: 50, leaseMs: 5_000 }, async ({ job }) => {
        if ((job.payload as { kind: string }).kind === 'throws') throw new Error('boom');
        if ((job.payload as { kind: string }).kind === 'throws-permanent') throw new PermanentJobError('shape [1, 1] will never fit');
        return { kind: 'failed', error: 'unusable input', retry: false };
      });
      while (await w.runOnce()) { /* drain */ }
      const f = await queues[0]!.get(flaky.id);
      assert.equal(f?.status, 'failed');
      assert.equal(f?.attempts, 2);
      assert.match(f?.error ?? '', /boom/);
      const b = await queues[0]!.get(bad.id);
      assert.deepEqual([b?.status, b?.attempts, b?.error], ['failed', 1, 'unusable input']);
      const d = await queues[0]!.get(doomed.id);
      assert.deepEqual([d?.status, d?.attempts], ['failed', 1], 'a thrown permanent error is not retried');
      assert.match(d?.error ?? '', /will never fit/);
    });

    void test('cancel: a queued job never runs; a running job sees its signal fire and ends cancelled; progress is stored', async () => {
      const q = `cancel-${Date.now()}`;
      const queued = await queues[0]!.enqueue(q, { wait: false }, { priority: -1 });
      const running = await queues[0]!.enqueue(q, { wait: true }, { priority: 1 });
      let sawAbort = false;
      let started!: () => void;
      const startedP = new Promise<void>((r) => { started = r; });
      const w = new JobWorker(queues[0]!, { queue: q, heartbeatMs: 30, leaseMs: 5_000 }, async ({ signal, progress }) => {
        progress({ epoch: 1 });
        started();
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        sawAbort = true;
        throw new Error('aborted');
      });
      const run = w.runOnce();
      await startedP;
      await sleep(100);
      assert.deepEqual((await queues[1 % queues.length]!.get(running.id))?.progress, { epoch: 1 });
      assert.equal(await queues[0]!.cancel(queued.id), 'cancelled');
      assert.equal(await queues[1 % queues.length]!.cancel(running.id), 'cancel-requested');
      assert.equal(await run, true);
      assert.ok(sawAbort);
      assert.equal((await queues[0]!.get(running.id))?.status, 'cancelled');
      assert.equal((await queues[0]!.get(queued.id))?.status, 'cancelled');
      assert.equal(await w.runOnce(), false, 'the cancelled queued job is not claimable');
      assert.equal(await queues[0]!.cancel(running.id), 'already-finished');
      assert.equal(await queues[0]!.cancel('00000000-0000-0000-0000-000000000000'), undefined);
    });
  });
}

/** Thrown by a target opener to skip (PostgreSQL unreachable off CI). */
export class SkipTarget extends Error {}
