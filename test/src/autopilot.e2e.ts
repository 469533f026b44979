/**
 * End to end, no person in the loop: three simulated device classes — a gateway, a Raspberry-Pi-class board and
 * a tight board with a sub-millisecond budget — end up running three different variants of one model family,
 * the tight board's distilled on demand. Control plane in this process (PGlite, embedded Aedes, embedded
 * distillation worker), agents as real processes that benchmark what they receive and gate it on the budget.
 *
 * The family has two latency tiers: the default teacher (~1.3 M MACs, fp32) and a distilled mlp:512 (~1 M MACs)
 * with its int8 and fp16 twins; on the tiered data set accuracy grows with size (teacher ~0.98, mlp:512 ~0.93, an
 * on-demand student ≤ ~0.85). Budgets (p95 stretched by the agents' simulated slowdowns, docs/simulation.md):
 * gateway 20 ms → the teacher. rpi4 and tight budgets are derived from measurements of this run on the class's own
 * device, so the test holds on a faster or slower machine: rpi4 = the geometric mean of the teacher's and the fastest
 * mid-tier variant's p95 there → the teacher is too slow, a mid-tier variant fits; tight = its fastest mid-tier p95
 * / 1.3 → nothing in the family fits, a student is sized, distilled and deployed. (Fixed budgets failed on a quiet
 * machine, where the teacher itself fitted rpi4's 0.2 ms; budgets derived from the gateway's measurements failed when
 * the rpi4 device — and later the tight one — benchmarked at a quieter moment than the gateway had and measured a
 * variant within its budget: a measured fit the autopilot rightly keeps.)
 * First, with `calibrate` (alternated deployments): the gateway benchmarks the teacher and mlp:512's variants twice
 * (the latency model gets two sizes to fit), the rpi4 device five times — judged by the median, the statistic the
 * selection judges a variant measured ≥ 3 times on a class by; five, not three, because noise adds time to both
 * tiers and can bring them closer on a busy host — ending on the teacher, so the autopilot's choice is deployed and
 * benchmarked against the target's budget; the tight device measures mlp:512's variants three times (so each is
 * measured there, never probed as a near miss), its budget resting on the fastest (a busy neighbour only ever slows
 * a benchmark).
 * Classes are brought up one after another so no benchmark shares the two cores with another or with training.
 *
 * Run once. These budgets sit at 0.1–0.2 ms of *simulated* p95, i.e. 10–60 µs of real inference on a shared 2-core
 * host, where one busy neighbour moves a p95 by 2–3×; the product, not the test, absorbs that: the agent benchmarks
 * a narrow latency miss again before rejecting, and the autopilot re-measures a variant rejected by a narrow latency
 * miss once more before it excludes it (docs/autopilot.md), so one noisy benchmark decides nothing.
 */
import { describe, it, type TestContext } from 'node:test';
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
import { AgentProcess, enrollmentToken, startAgentProcess } from './support';

type ClassName = ScenarioClass;

describe('autopilot end to end: three device classes, three variants, one distilled on demand', { timeout: 600_000 }, () => {
  it('gateway, rpi4 and tight classes converge on three variants, tight\'s distilled on demand', async (t) => {
    await scenario(t);
  });
});

type Outcome = ActiveOutcome & { deviceId: string; targetId: string; seconds: number };

async function scenario(t: TestContext): Promise<void> {
  const run = randomBytes(3).toString('hex');
  const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-autopilot-e2e-'));
  const agents: AgentProcess[] = [];
  const budget: Record<ClassName, number> = { ...SCENARIO_BUDGETS_MS };
  const outcomes: Partial<Record<ClassName, Outcome>> = {};
  let cp: ControlPlane | undefined;
  try {
    cp = await startControlPlane({
      PATH: process.env.PATH, DATA_DIR: dataDir, PORT: '0', MQTT_PORT: '0', ADMIN_API_KEY: `e2e-admin-key-${run}-0123456789`, LOG_LEVEL: 'error',
    });
    const api = new ApiClient(cp.httpUrl, cp.adminApiKey);

    // The family starts with two latency tiers, made by a distillation job.
    const family: TieredFamily = await buildTieredFamily(api, `tiered-${run}`);
    assert.ok(family.teacherId, 'the job trained and published its teacher');
    assert.ok(family.studentIds.length >= 1);
    const teacherModel = (await api.get(`/api/v1/models/${family.teacherId}`)).body;
    const studentModel = (await api.get(`/api/v1/models/${family.studentIds[0]}`)).body;
    assert.ok(teacherModel.metrics.accuracy > studentModel.metrics.accuracy + 0.01, `teacher ${teacherModel.metrics.accuracy} must beat the mid tier ${studentModel.metrics.accuracy}`);

    /**
     * Brings a class up: its target first and then its device (a device of a new class joining the fleet), or —
     * for a device that calibrates (the first, which gives the latency model its history; rpi4, whose budget comes
     * from its own measurements) — the device, `calibrate`, `deriveBudget`, then the target. Waits until the device runs what the autopilot chose; the time counts from the agent's start.
     */
    const bringUp = async (cls: ClassName, distill: boolean, calibrateWith?: string[], deriveBudget?: (deviceId: string) => Promise<void>): Promise<Outcome> => {
      const tag = `${cls}-${run}`;
      const deviceId = `${cls}-${run}`;
      const target = () => createClassTarget(api, {
        name: `${cls}-${run}`, family: family.family, tag, maxLatencyP95Ms: budget[cls],
        ...(distill ? { distill: { datasetId: family.datasetId, teacherArtifactId: family.teacherId, epochs: 8 } } : {}),
      });
      const targetFirst = calibrateWith ? undefined : await target();
      const started = Date.now();
      // The simulated devices share this host's 2 cores: they take turns benchmarking (--bench-lock), as real ones would not compete.
      const agent = startAgentProcess({
        brokerUrl: cp!.mqttUrl, deviceId, profile: cls, stateDir: join(dataDir, 'agents', deviceId), tags: [tag], trustKeyPath: cp!.signingPublicKeyPath,
        benchLock: join(dataDir, 'bench.lock'), enroll: { token: await enrollmentToken(cp!.apiUrl, cp!.adminApiKey!, [tag], 1), httpUrl: cp!.httpUrl },
      });
      agents.push(agent);
      try {
        if (calibrateWith) await calibrate(api, deviceId, calibrateWith);
        if (deriveBudget) await deriveBudget(deviceId);
        const targetId = targetFirst ?? await target();
        const outcome = await waitForClassActive(api, targetId, deviceId, 100_000);
        return (outcomes[cls] = { ...outcome, deviceId, targetId, seconds: (Date.now() - started) / 1000 });
      } catch (err) {
        (err as Error).message += `\nagent output:\n${agent.output().slice(-1500)}`;
        throw err;
      }
    };

    // gateway: the most accurate variant (the teacher) fits its loose budget. The fleet's first device also
    // gives the latency model two model sizes to fit its curve on: each variant measured twice.
    const gw = await bringUp('gateway', false, [family.teacherId, ...family.studentIds, family.teacherId, ...family.studentIds]);
    assert.equal(gw.artifactId, family.teacherId, `gateway runs ${gw.artifact.name}: ${JSON.stringify(gw.state.details)}`);
    assert.equal(gw.state.decision, 'use-existing');

    /** The teacher's (when measured) and the fastest mid-tier variant's p95 on a device, each the `pick` of its measurements there. */
    const tiersOn = async (deviceId: string, pick: (ms: number[]) => number): Promise<{ teacher?: number; mid: number }> => {
      const reports: Array<{ artifactId: string; latencyP95Ms: number | null }> = (await api.get(`/api/v1/devices/${deviceId}/reports?limit=50`)).body.items;
      const p95 = (id: string) => {
        const ms = reports.filter((r) => r.artifactId === id && r.latencyP95Ms !== null).map((r) => r.latencyP95Ms!);
        return ms.length ? pick(ms) : undefined;
      };
      const teacher = p95(family.teacherId);
      const mids = family.studentIds.map(p95).filter((v): v is number => v !== undefined);
      assert.ok(mids.length > 0, `${deviceId} measured the mid tier`);
      return { teacher, mid: Math.min(...mids) };
    };
    const median = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;

    // rpi4: the teacher is too slow, a mid-tier variant fits and is deployed; nothing is distilled for it.
    const rounds = (n: number) => Array.from({ length: n }, () => [...family.studentIds, family.teacherId]).flat();
    const pi = await bringUp('rpi4', false, rounds(5), async (deviceId) => {
      // The median, as the selection judges a variant measured ≥ 3 times on a class (docs/selection.md): from the
      // fastest run instead, a mid tier whose median sat 2 % over the budget was judged not to fit and never tried.
      // Five rounds, always, judged once: noise adds time to both tiers and can bring them closer on a busy host (the
      // gateway's two measured 1.28× apart in one run), and more measurements give the median more to stand on.
      const { teacher, mid } = await tiersOn(deviceId, median);
      // A budget between the tiers needs a gap.
      assert.ok(teacher !== undefined, `${deviceId} measured the teacher`);
      assert.ok(teacher > mid * 1.3, `the tiers must be apart: teacher ${teacher} ms vs mid tier ${mid} ms on ${deviceId}`);
      budget.rpi4 = Math.sqrt(teacher * mid);
      t.diagnostic(`rpi4 p95: teacher ${teacher.toFixed(4)} ms, fastest mid tier ${mid.toFixed(4)} ms → budget rpi4 ${budget.rpi4.toFixed(3)} ms`);
    });
    assert.ok(family.studentIds.includes(pi.artifactId), `rpi4 runs ${pi.artifact.name} ${pi.artifact.precision}: ${JSON.stringify(pi.state.details)}`);
    assert.equal(pi.state.distillationJobId, null);

    // tight: nothing in the family fits, a student is distilled for the budget and deployed. The device first measures
    // the mid tier three times (each variant then counts as measured on the class: judged by its median, never
    // probed as a near miss), and the budget sits 1.3× under the fastest of those: below every mid-tier variant on
    // this device, above what a small student reaches. (Derived from the gateway's measurements, a mid-tier variant
    // predicted 1.3× over it was probed and passed when the tight device benchmarked at a quieter moment than the
    // gateway had — the failure rpi4's budget had before it was derived on rpi4.)
    const tight = await bringUp('tight', true, rounds(3).filter((id) => id !== family.teacherId), async (deviceId) => {
      const on = await tiersOn(deviceId, (ms) => Math.min(...ms));
      budget.tight = on.mid / 1.3;
      t.diagnostic(`tight p95: fastest mid tier ${on.mid.toFixed(4)} ms → budget tight ${budget.tight.toFixed(3)} ms`);
    });
    assert.ok(tight.state.distillationJobId, `a distillation was queued for the class: ${JSON.stringify(tight.state)}`);
    const job = (await api.get(`/api/v1/distillations/${tight.state.distillationJobId}`)).body;
    assert.equal(job.status, 'succeeded');
    assert.ok(job.result.artifactIds.includes(tight.artifactId), `tight runs ${tight.artifact.name} from job ${job.id}, not a variant the family started with`);
    assert.ok(![family.teacherId, ...family.studentIds].includes(tight.artifactId));

    // Each class runs a different variant, within its budget, and the targets say so.
    const all = [gw, pi, tight];
    assert.equal(new Set(all.map((o) => o.artifactId)).size, 3, all.map((o) => o.artifact.name).join(', '));
    for (const cls of ['gateway', 'rpi4', 'tight'] as const) {
      const o = outcomes[cls]!;
      const device = (await api.get(`/api/v1/devices/${o.deviceId}`)).body;
      assert.equal(device.activeArtifactId, o.artifactId);
      const mine = (await api.get(`/api/v1/devices/${o.deviceId}/reports?limit=50`)).body.items
        .find((r: { artifactId: string; passed: boolean }) => r.artifactId === o.artifactId && r.passed);
      assert.ok(mine, `a passing report of the active variant on ${cls}`);
      assert.ok(mine.latencyP95Ms <= budget[cls], `${cls}: p95 ${mine.latencyP95Ms} ms within ${budget[cls]} ms`);
      const target = (await api.get(`/api/v1/targets/${o.targetId}`)).body;
      assert.deepEqual(target.classes.map((c: { status: string; chosenArtifactId: string }) => [c.status, c.chosenArtifactId]), [['active', o.artifactId]]);
      t.diagnostic(`${cls}: ${o.artifact.name} ${o.artifact.precision} p95 ${mine.latencyP95Ms.toFixed(3)} ms (budget ${budget[cls].toFixed(3)}), `
        + `accuracy ${mine.accuracy}, registered → active in ${o.seconds.toFixed(1)} s`);
    }
  } finally {
    await Promise.all(agents.map((a) => a.stop('SIGKILL')));
    await cp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
