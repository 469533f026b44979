/**
 * The autopilot's lease fence against a real PostgreSQL, where two control planes are two connection pools: while
 * one reconcile's transaction holds the target's and the pair's rows (`holdLease`), a pause or delete of the target
 * and another control plane's acquire wait for it; once either has happened, the fence refuses and the transaction writes nothing (a
 * deployment's, a distillation claim's).
 * (The same on the embedded database, through the whole control plane: autopilot.pglite.int.spec.ts.) Skipped
 * without PostgreSQL unless CI=true.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type Database } from '@edgefleet/db';
import { createTempPostgresDatabase, PostgresGate, type TempPostgresDatabase } from '@edgefleet/db/dist/testing';
import { LeaseLostError } from '@edgefleet/platform';
import { AutopilotRepository, TargetPausedError } from './autopilot.repository';

const CLASS = 'class-0123456789';

describe('autopilot lease fence on PostgreSQL (two control planes = two pools)', () => {
  const gate = new PostgresGate();
  let tmp: TempPostgresDatabase | undefined;
  let a: Database | undefined;
  let b: Database | undefined;
  before(async () => {
    await gate.probe();
    tmp = await createTempPostgresDatabase().catch(() => undefined);
    if (!tmp) return;
    a = await openDatabase({ databaseUrl: tmp.url, dataDir: '/nonexistent-unused' });
    b = await openDatabase({ databaseUrl: tmp.url, dataDir: '/nonexistent-unused' });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await tmp?.drop();
  });

  const newTarget = (repo: AutopilotRepository, name: string) =>
    repo.createTarget({ name, family: 'fam', selector: {}, budget: { maxLatencyP95Ms: 5 }, createdBy: 'test' });

  it('a delete, a takeover and a pause wait for the fenced transaction; after either, the fence writes nothing', async (t) => {
    if (gate.skipped(t)) return;
    const repoA = new AutopilotRepository(a!.prisma);
    const repoB = new AutopilotRepository(b!.prisma);
    /** B's `other` started while A's transaction holds the fence (300 ms): the order in which the two finished. */
    const whileFenced = async (targetId: string, other: () => Promise<unknown>): Promise<string[]> => {
      const order: string[] = [];
      let running: Promise<unknown> | undefined;
      await a!.prisma.$transaction(async (tx) => {
        await repoA.holdLease(targetId, CLASS, 'cp-a', tx);
        running = other().then((v) => (order.push('b'), v));
        await new Promise((r) => setTimeout(r, 300));
        order.push('a');
      });
      await running;
      return order;
    };

    // Delete while A's transaction holds the rows: the delete waits for A's commit, then removes the target.
    const target = await newTarget(repoA, 'fenced');
    assert.equal(await repoA.acquire(target.id, CLASS, 'cp-a', 60_000), true);
    assert.deepEqual(await whileFenced(target.id, () => repoB.deleteTarget(target.id)), ['a', 'b'], 'the delete waited for the fenced transaction');
    assert.equal(await repoB.findTarget(target.id), undefined);
    // After the delete the fence refuses, and the transaction's own write is rolled back with it.
    await assert.rejects(a!.prisma.$transaction(async (tx) => {
      await tx.fleetTarget.create({ data: { name: 'written-in-the-refused-tx', family: 'fam', selector: {}, budget: {}, createdBy: 'test' } });
      await repoA.holdLease(target.id, CLASS, 'cp-a', tx);
    }), LeaseLostError);
    assert.equal(await a!.prisma.fleetTarget.count({ where: { name: 'written-in-the-refused-tx' } }), 0);

    // Takeover: B can take an expired lease only after A's fenced transaction, and then A's fence refuses.
    const other = await newTarget(repoA, 'taken');
    assert.equal(await repoA.acquire(other.id, CLASS, 'cp-a', 1), true);
    await new Promise((r) => setTimeout(r, 20)); // A's lease has expired by the database's clock
    let acquired: boolean | undefined;
    assert.deepEqual(await whileFenced(other.id, async () => (acquired = await repoB.acquire(other.id, CLASS, 'cp-b', 60_000))), ['a', 'b'], 'the takeover waited for the fenced transaction');
    assert.equal(acquired, true);
    await assert.rejects(a!.prisma.$transaction((tx) => repoA.holdLease(other.id, CLASS, 'cp-a', tx)), LeaseLostError);
    await b!.prisma.$transaction((tx) => repoB.holdLease(other.id, CLASS, 'cp-b', tx));

    // A pause waits the same way, and after it the fence refuses.
    const held = await newTarget(repoA, 'paused');
    assert.equal(await repoA.acquire(held.id, CLASS, 'cp-a', 60_000), true);
    assert.deepEqual(await whileFenced(held.id, () => repoB.setPaused(held.id, 'apikey:op')), ['a', 'b'], 'the pause waited for the fenced transaction');
    await assert.rejects(a!.prisma.$transaction((tx) => repoA.holdLease(held.id, CLASS, 'cp-a', tx)), TargetPausedError);

    // A distillation claim is fenced the same way: only the lease's holder claims, and a student once.
    await assert.rejects(repoA.claimDistillation(other.id, CLASS, 'mlp:8', 'cp-a'), LeaseLostError);
    assert.equal(await repoB.claimDistillation(other.id, CLASS, 'mlp:8', 'cp-b'), true);
    assert.equal(await repoB.claimDistillation(other.id, CLASS, 'mlp:8', 'cp-b'), false);
    assert.deepEqual((await repoB.distillations(other.id, CLASS)).map((d) => d.student), ['mlp:8']);
  });
});
