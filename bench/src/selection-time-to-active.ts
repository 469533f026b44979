/**
 * Part of `npm run bench -- selection`: the time from "a device of a new class registers" to "a fitting model is
 * active on it", with no person in the loop. Runs the end-to-end test's scenario (test/src/autopilot.e2e.ts) on a
 * fresh control plane (PGlite, embedded broker, embedded distillation worker) with in-process agents:
 *   - a tiered family (default teacher + mlp:512 and its int8/fp16 twins) made by one distillation job;
 *   - a gateway with a loose budget, which also benchmarks the family (the fleet's history);
 *   - (a) existing variant: an rpi4-class device joins a target whose budget an existing variant meets;
 *   - (b) distill on demand: a tight-class device joins a target no variant meets: a student is sized,
 *         distilled, published, deployed and benchmarked before it is active.
 * Classes come up one at a time, so no benchmark shares the cores with another or with training.
 * In-process agents report this whole process's RSS (control plane included, 300–500 MB) as their peak, so the
 * presets get 4 GB of RAM here: the tight preset's 512 MB would make every model "too big" (the memory model
 * learns from those reports). The end-to-end test runs agents as processes and keeps the presets as they are.
 */
import { join } from 'node:path';
import { PROFILE_PRESETS, startAgent, silentLogger, type RunningAgent } from '@edgefleet/device-agent/dist/index';
import { startControlPlane } from '@edgefleet/control-plane';
import { ApiClient } from '@edgefleet/control-plane/dist/testing/factories';
import {
  buildTieredFamily, calibrate, createClassTarget, SCENARIO_BUDGETS_MS, waitForClassActive, type ScenarioClass,
} from '@edgefleet/control-plane/dist/autopilot/testing/autopilot-scenario';

export interface TimeToActiveRow {
  case: string;
  class: ScenarioClass;
  budgetMs: number;
  /** Agent start (its hello follows within milliseconds) → the class's target row active with the device on it. */
  seconds: number;
  variant: string;
  decision: string;
  distilled: boolean;
  /** Distillation job run time (queued → finished), for (b). */
  distillSeconds?: number;
  /** Deployments the autopilot made before one stuck (a rejected variant counts one). */
  attempts: number;
  p95Ms?: number;
  /** Set when the class did not end on a fitting model (e.g. a busy machine inflated every measurement). */
  error?: string;
}

export interface TimeToActive {
  familySeconds: number;
  rows: TimeToActiveRow[];
}

export async function measureTimeToActive(dataDir: string): Promise<TimeToActive> {
  const cp = await startControlPlane({ PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'error', DATA_DIR: dataDir });
  const agents: RunningAgent[] = [];
  try {
    const api = new ApiClient(cp.httpUrl, cp.adminApiKey);
    const family = await buildTieredFamily(api, 'tiered');
    const start = async (cls: ScenarioClass) => {
      const agent = await startAgent({
        brokerUrl: cp.mqttUrl, deviceId: `tta-${cls}`, profile: { ...PROFILE_PRESETS[cls]!, ramMb: Math.max(4096, PROFILE_PRESETS[cls]!.ramMb) }, stateDir: join(dataDir, `agent-tta-${cls}`), tags: [`tta-${cls}`],
        trustedKeys: [cp.signingPublicKeyPem], logger: silentLogger, benchmark: { warmupRuns: 5, minRuns: 30, minTimeMs: 150, maxTimeMs: 2000 },
      });
      agents.push(agent);
      return agent;
    };
    const target = (cls: ScenarioClass, distill: boolean) => createClassTarget(api, {
      name: `tta-${cls}`, family: family.family, tag: `tta-${cls}`, maxLatencyP95Ms: SCENARIO_BUDGETS_MS[cls],
      ...(distill ? { distill: { datasetId: family.datasetId, teacherArtifactId: family.teacherId, epochs: 8 } } : {}),
    });

    const gateway = await start('gateway');
    await calibrate(api, gateway.deviceId, family.studentIds);
    await waitForClassActive(api, await target('gateway', false), gateway.deviceId, 120_000);

    const rows: TimeToActiveRow[] = [];
    for (const [label, cls, distill] of [['(a) existing variant', 'rpi4', false], ['(b) distill on demand', 'tight', true]] as const) {
      const targetId = await target(cls, distill);
      const t0 = Date.now();
      const agent = await start(cls);
      try {
        const o = await waitForClassActive(api, targetId, agent.deviceId, 180_000);
        const seconds = (Date.now() - t0) / 1000;
        const job = o.state.distillationJobId ? (await api.get(`/api/v1/distillations/${o.state.distillationJobId}`)).body : undefined;
        const reports = (await api.get(`/api/v1/devices/${agent.deviceId}/reports?limit=50`)).body.items as Array<{ artifactId: string; latencyP95Ms: number }>;
        rows.push({
          case: label, class: cls, budgetMs: SCENARIO_BUDGETS_MS[cls], seconds, variant: `${o.artifact.name} ${o.artifact.precision}`,
          decision: o.state.decision, distilled: job !== undefined,
          distillSeconds: job?.startedAt && job.finishedAt ? (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000 : undefined,
          attempts: reports.length, p95Ms: reports.find((r) => r.artifactId === o.artifactId)?.latencyP95Ms,
        });
      } catch (err) {
        // One run on a shared machine: say what happened beside the table instead of losing the whole bench.
        const error = err instanceof Error ? err.message.split('; last state')[0]! : String(err);
        rows.push({ case: label, class: cls, budgetMs: SCENARIO_BUDGETS_MS[cls], seconds: (Date.now() - t0) / 1000, variant: '-', decision: '-', distilled: false, attempts: 0, error });
      }
    }
    return { familySeconds: family.seconds, rows };
  } finally {
    for (const a of agents) await a.stop();
    await cp.close();
  }
}

export function printTimeToActive(t: TimeToActive): void {
  console.log('');
  console.log(`time from a device of a new class registering to a fitting model active on it (family made in ${t.familySeconds.toFixed(1)} s beforehand):`);
  console.log('case                    class  budget    seconds  distill s  tries  active variant (p95)');
  for (const r of t.rows) {
    if (r.error) {
      console.log(`${r.case.padEnd(22)}  ${r.class.padEnd(5)}  ${`${r.budgetMs} ms`.padStart(7)}  not active after ${r.seconds.toFixed(1)} s: ${r.error}`);
      continue;
    }
    console.log(`${r.case.padEnd(22)}  ${r.class.padEnd(5)}  ${`${r.budgetMs} ms`.padStart(7)}  ${r.seconds.toFixed(1).padStart(8)}  ${(r.distillSeconds?.toFixed(1) ?? '-').padStart(9)}  ${String(r.attempts).padStart(5)}  ${r.variant} (${r.p95Ms?.toFixed(3) ?? '?'} ms)`);
  }
}
