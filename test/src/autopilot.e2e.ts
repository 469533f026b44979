/**
 * End to end, no person in the loop: three simulated device classes — a gateway, a Raspberry-Pi-class board and
 * a tight board with a sub-millisecond budget — end up running three different variants of one model family,
 * the tight board's distilled on demand. Control plane in this process (PGlite, embedded Aedes, embedded
 * distillation worker), agents as real processes that benchmark what they receive and gate it on the budget.
 *
 * The family has two latency tiers: the default teacher (~1.3 M MACs, fp32) and a distilled mlp:512 (~1 M MACs)
 * with its int8 and fp16 twins; on the tiered data set accuracy grows with size (teacher ~0.98, mlp:512 ~0.93, an
 * on-demand student ≤ ~0.85). Budgets (SCENARIO_BUDGETS_MS, p95 stretched by the agents' simulated slowdowns,
 * docs/simulation.md): gateway 20 ms → the teacher; rpi4 0.2 ms → the teacher is too slow, mlp:512 int8
 * (and, on a quiet machine, its fp32) fits; tight 0.14 ms → nothing in the family fits, a student is sized, distilled and deployed.
 * The gateway is also benchmarked on mlp:512 first (`calibrate`), so the latency model has two sizes to fit.
 * Classes are brought up one after another so no benchmark shares the two cores with another or with training.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ControlPlane, startControlPlane } from '@edgefleet/control-plane';
import { ApiClient } from '@edgefleet/control-plane/dist/testing/factories';
import {
  buildTieredFamily, calibrate, createClassTarget, SCENARIO_BUDGETS_MS, waitForClassActive, type ActiveOutcome, type ScenarioClass, type TieredFamily,
} from '@edgefleet/control-plane/dist/autopilot/testing/autopilot-scenario';
import { AgentProcess, startAgentProcess } from './support';

const BUDGET_MS = SCENARIO_BUDGETS_MS;
type ClassName = ScenarioClass;

describe('autopilot end to end: three device classes, three variants, one distilled on demand', { timeout: 180_000 }, () => {
  const run = randomBytes(3).toString('hex');
  const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-autopilot-e2e-'));
  const agents: AgentProcess[] = [];
  let cp: ControlPlane;
  let api: ApiClient;
  let family: TieredFamily;
  const outcomes: Partial<Record<ClassName, ActiveOutcome & { deviceId: string; targetId: string; seconds: number }>> = {};

  before(async () => {
    cp = await startControlPlane({
      PATH: process.env.PATH, DATA_DIR: dataDir, PORT: '0', MQTT_PORT: '0', ADMIN_API_KEY: `e2e-admin-key-${run}-0123456789`, LOG_LEVEL: 'error',
    });
    api = new ApiClient(cp.httpUrl, cp.adminApiKey);
  });

  after(async () => {
    await Promise.all(agents.map((a) => a.stop('SIGKILL')));
    await cp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * Brings a class up: its target first and then its device (a device of a new class joining the fleet), or — for
   * the first device, which also gives the latency model its history — the device, `calibrate`, then the target.
   * Waits until the device runs what the autopilot chose; the time counts from the agent's start.
   */
  async function bringUp(cls: ClassName, distill: boolean, calibrateWith?: string[]): Promise<void> {
    const tag = `${cls}-${run}`;
    const deviceId = `${cls}-${run}`;
    const target = () => createClassTarget(api, {
      name: `${cls}-${run}`, family: family.family, tag, maxLatencyP95Ms: BUDGET_MS[cls],
      ...(distill ? { distill: { datasetId: family.datasetId, teacherArtifactId: family.teacherId, epochs: 8 } } : {}),
    });
    const targetFirst = calibrateWith ? undefined : await target();
    const started = Date.now();
    const agent = startAgentProcess({ brokerUrl: cp.mqttUrl, deviceId, profile: cls, stateDir: join(dataDir, 'agents', deviceId), tags: [tag], trustKeyPath: cp.signingPublicKeyPath });
    agents.push(agent);
    try {
      if (calibrateWith) await calibrate(api, deviceId, calibrateWith);
      const targetId = targetFirst ?? await target();
      const outcome = await waitForClassActive(api, targetId, deviceId, 100_000);
      outcomes[cls] = { ...outcome, deviceId, targetId, seconds: (Date.now() - started) / 1000 };
    } catch (err) {
      (err as Error).message += `\nagent output:\n${agent.output().slice(-3000)}`;
      throw err;
    }
  }

  test('the family starts with two latency tiers, made by a distillation job', async () => {
    family = await buildTieredFamily(api, `tiered-${run}`);
    assert.ok(family.teacherId, 'the job trained and published its teacher');
    assert.ok(family.studentIds.length >= 1);
    const teacher = (await api.get(`/api/v1/models/${family.teacherId}`)).body;
    const student = (await api.get(`/api/v1/models/${family.studentIds[0]}`)).body;
    assert.ok(teacher.metrics.accuracy > student.metrics.accuracy + 0.01, `teacher ${teacher.metrics.accuracy} must beat mlp:160 ${student.metrics.accuracy}`);
  });

  test('gateway: the most accurate variant (the teacher) fits its loose budget', async () => {
    // The fleet's first device also gives the latency model two model sizes to fit its curve on.
    await bringUp('gateway', false, family.studentIds);
    const o = outcomes.gateway!;
    assert.equal(o.artifactId, family.teacherId, JSON.stringify(o.state.details));
    assert.equal(o.state.decision, 'use-existing');
  });

  test('rpi4: the teacher is too slow, the mid-tier student fits and is deployed', async () => {
    await bringUp('rpi4', false);
    const o = outcomes.rpi4!;
    assert.ok(family.studentIds.includes(o.artifactId), `rpi4 runs ${o.artifact.name} ${o.artifact.precision}: ${JSON.stringify(o.state.details)}`);
    // Decision: use-existing, or — when a busy machine's report inflated the class's predictions — distill-student
    // overruled by the device's passing measurement; either way nothing was distilled for this class.
    assert.equal(o.state.distillationJobId, null);
  });

  test('tight: nothing in the family fits, a student is distilled for the budget and deployed', async () => {
    await bringUp('tight', true);
    const o = outcomes.tight!;
    assert.ok(o.state.distillationJobId, 'a distillation was queued for the class');
    const job = (await api.get(`/api/v1/distillations/${o.state.distillationJobId}`)).body;
    assert.equal(job.status, 'succeeded');
    assert.ok(job.result.artifactIds.includes(o.artifactId), `tight runs ${o.artifact.name} from job ${job.id}, not a variant the family started with`);
    assert.ok(![family.teacherId, ...family.studentIds].includes(o.artifactId));
  });

  test('each class runs a different variant, within its budget, and the targets say so', async () => {
    const all = (['gateway', 'rpi4', 'tight'] as const).map((c) => outcomes[c]!);
    assert.equal(new Set(all.map((o) => o.artifactId)).size, 3, all.map((o) => o.artifact.name).join(', '));
    for (const cls of ['gateway', 'rpi4', 'tight'] as const) {
      const o = outcomes[cls]!;
      const device = (await api.get(`/api/v1/devices/${o.deviceId}`)).body;
      assert.equal(device.activeArtifactId, o.artifactId);
      const reports = (await api.get(`/api/v1/devices/${o.deviceId}/reports?limit=50`)).body.items;
      const mine = reports.find((r: { artifactId: string; passed: boolean }) => r.artifactId === o.artifactId && r.passed);
      assert.ok(mine, `a passing report of the active variant on ${cls}`);
      assert.ok(mine.latencyP95Ms <= BUDGET_MS[cls], `${cls}: p95 ${mine.latencyP95Ms} ms within ${BUDGET_MS[cls]} ms`);
      const target = (await api.get(`/api/v1/targets/${o.targetId}`)).body;
      assert.deepEqual(target.classes.map((c: { status: string; chosenArtifactId: string }) => [c.status, c.chosenArtifactId]), [['active', o.artifactId]]);
      console.log(`# ${cls}: ${o.artifact.name} ${o.artifact.precision} p95 ${mine.latencyP95Ms.toFixed(3)} ms (budget ${BUDGET_MS[cls]}), `
        + `accuracy ${mine.accuracy}, registered → active in ${o.seconds.toFixed(1)} s`);
    }
  });
});
