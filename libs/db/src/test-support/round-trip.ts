// A Device + ModelArtifact + Deployment + DeploymentDevice + BenchmarkReport written and read back through
// Prisma: exercises the column types the adapters must map (text[], jsonb, bigint, float8, enums, timestamps)
// and the foreign keys and cascades of the migration.
import assert from 'node:assert/strict';
import type { PrismaClient } from '../generated/prisma/client';

const profile = { arch: 'arm64', cores: 4, clockMhz: 1800, simd: ['neon'], ramMb: 4096, storageMb: 32000, latencyBudgetMs: 20 };

export async function assertRoundTrip(prisma: PrismaClient): Promise<void> {
  const artifact = await prisma.modelArtifact.create({
    data: {
      name: 'mlp-128',
      version: '1',
      precision: 'int8',
      sha256: 'a'.repeat(64),
      sizeBytes: 123_456,
      storageKey: 'a'.repeat(64),
      inputs: [{ name: 'x', type: 'float32', dims: [-1, 784] }],
      outputs: [{ name: 'logits', type: 'float32', dims: [-1, 10] }],
      macs: 9_007_199_254_740_993n, // > 2^53: must survive as a bigint, not a float
      metrics: { accuracy: 0.881 },
    },
  });
  const device = await prisma.device.create({
    data: { id: 'pi-01', name: 'Pi 01', tags: ['lab', 'arm64'], profile, profileClass: 'c1', activeArtifactId: artifact.id },
  });
  const deployment = await prisma.deployment.create({
    data: { artifactId: artifact.id, gates: { maxLatencyP95Ms: 20, minAccuracy: 0.8 }, target: { deviceIds: [device.id] } },
  });
  const report = await prisma.benchmarkReport.create({
    data: {
      deviceId: device.id,
      artifactId: artifact.id,
      deploymentId: deployment.id,
      latencyP50Ms: 1.25,
      latencyP95Ms: 2.5,
      latencyP99Ms: 3.75,
      accuracy: 0.875,
      evalSamples: 512,
      runs: 200,
      passed: true,
      activated: true,
      details: { raw: [1.25, 2.5] },
    },
  });
  await prisma.deploymentDevice.create({
    data: { deploymentId: deployment.id, deviceId: device.id, state: 'active', receivedBlocks: 2, totalBlocks: 2, reportId: report.id },
  });

  const back = await prisma.device.findUniqueOrThrow({
    where: { id: 'pi-01' },
    include: { activeArtifact: true, deployments: { include: { report: true, deployment: true } } },
  });
  assert.deepEqual(back.tags, ['lab', 'arm64']);
  assert.deepEqual(back.profile, profile);
  assert.equal(back.status, 'registered');
  assert.ok(back.createdAt instanceof Date && Math.abs(back.createdAt.getTime() - Date.now()) < 60_000, 'createdAt defaults to now');
  assert.equal(back.activeArtifact?.macs, 9_007_199_254_740_993n);
  assert.deepEqual(back.activeArtifact?.inputs, [{ name: 'x', type: 'float32', dims: [-1, 784] }]);
  assert.equal(back.deployments.length, 1);
  const dd = back.deployments[0]!;
  assert.equal(dd.state, 'active');
  assert.equal(dd.deployment.status, 'in_progress');
  assert.deepEqual(dd.deployment.gates, { maxLatencyP95Ms: 20, minAccuracy: 0.8 });
  assert.equal(dd.report?.latencyP95Ms, 2.5);
  assert.equal(dd.report?.accuracy, 0.875);
  assert.equal(dd.report?.passed, true);

  // The unique key (name, version, precision) holds, and surfaces as Prisma's P2002 through the adapter.
  await assert.rejects(
    prisma.modelArtifact.create({ data: { ...pick(artifact), inputs: [], outputs: [] } }),
    (err: { code?: string }) => err.code === 'P2002',
  );
  // Deleting an artifact still deployed is refused (Deployment.artifact is onDelete: Restrict).
  await assert.rejects(prisma.modelArtifact.delete({ where: { id: artifact.id } }));
  // Deleting the device cascades to its deployment rows and reports.
  await prisma.device.delete({ where: { id: 'pi-01' } });
  assert.equal(await prisma.deploymentDevice.count(), 0);
  assert.equal(await prisma.benchmarkReport.count(), 0);
  assert.equal(await prisma.deployment.count(), 1);
}

const pick = (a: { name: string; version: string; precision: string; sha256: string; sizeBytes: number; storageKey: string }) => ({
  name: a.name,
  version: a.version,
  precision: a.precision,
  sha256: a.sha256,
  sizeBytes: a.sizeBytes,
  storageKey: a.storageKey,
});
