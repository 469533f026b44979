/**
 * Test-only steps of the "three device classes, three variants, one distilled on demand" scenario, shared by the
 * end-to-end test (test/src/autopilot.e2e.ts, agents as processes) and the selection benchmark (in-process agents).
 * Everything goes through the admin REST API, as an operator's tooling would.
 */
import type { ApiClient } from '../../testing/factories';
import { tieredDatasetCsv, type TieredDatasetOptions } from './tiered-dataset';

/** Latency tiers of the family: the default teacher (~1.3 M MACs) and this student (~1 M MACs, whose int8 twin is ~2.5× faster than the fp32 teacher). */
export const MID_TIER_STUDENT = 'mlp:512';

/**
 * p95 budgets per simulated class (docs/simulation.md: gateway ×1, rpi4 ×3.46, tight ×8.65 on one thread), set
 * between the tiers as measured on the 2-core dev machine (batch 1, p95): teacher fp32 ~0.07 ms, mlp:512 fp32
 * ~0.055 ms, its int8 twin ~0.025 ms, students near the ~0.01 ms per-inference floor. So:
 *   gateway 20 ms   → everything fits → the teacher (most accurate);
 *   rpi4 0.2 ms     → the teacher (~0.24–0.35) does not, mlp:512 int8 (~0.09) does (its fp32, ~0.19, either way);
 *   tight 0.14 ms   → mlp:512 int8 (~0.22) does not → a student near the floor (~0.08–0.11) is distilled.
 * Noise only makes a measurement slower (another job on the two cores inflated p95 up to 2×), so the budgets sit
 * nearer the slow side of each gap.
 */
export const SCENARIO_BUDGETS_MS = { gateway: 20, rpi4: 0.2, tight: 0.14 } as const;
export type ScenarioClass = keyof typeof SCENARIO_BUDGETS_MS;

export interface TieredFamily {
  family: string;
  datasetId: string;
  teacherId: string;
  /** The mid-tier student's artifacts (fp32 and its quantized twins). */
  studentIds: string[];
  jobId: string;
  seconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ok(api: ApiClient, method: string, path: string, body?: unknown): Promise<any> {
  const r = await api.request(method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Polls `fn` until it returns a value (not undefined); `fn` may throw to stop early. */
export async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Waits for a distillation job to succeed; a failed or cancelled job throws with its error. */
export async function waitForDistillation(api: ApiClient, jobId: string, timeoutMs: number): Promise<any> {
  return poll(`distillation ${jobId}`, async () => {
    const job = await ok(api, 'GET', `/api/v1/distillations/${jobId}`);
    if (job.status === 'failed' || job.status === 'cancelled') throw new Error(`distillation ${jobId} ${job.status}: ${job.error}`);
    return job.status === 'succeeded' ? job : undefined;
  }, timeoutMs);
}

/**
 * The family a fleet starts with: a data set where accuracy grows with size, and one distillation job that trains
 * the default teacher and distils the mid-tier student from it. A job, not uploads, because distilled artifacts
 * carry their measured accuracy (uploads cannot), and selection ranks by accuracy.
 */
export async function buildTieredFamily(api: ApiClient, family: string, o: { epochs?: number; dataset?: TieredDatasetOptions; timeoutMs?: number } = {}): Promise<TieredFamily> {
  const started = Date.now();
  const form = new FormData();
  form.set('name', `${family}-data`);
  form.set('testFraction', '0.15');
  form.set('csv', new Blob([tieredDatasetCsv(o.dataset)]), 'data.csv');
  const dataset = await ok(api, 'POST', '/api/v1/datasets', form);
  const epochs = o.epochs ?? 10;
  const job = await ok(api, 'POST', '/api/v1/distillations', {
    datasetId: dataset.id, students: [MID_TIER_STUDENT], family, epochs, teacherEpochs: epochs, evalSamples: 400,
  });
  const done = await waitForDistillation(api, job.id, o.timeoutMs ?? 120_000);
  return {
    family, datasetId: dataset.id, teacherId: done.result.teacherArtifactId, studentIds: done.result.artifactIds, jobId: job.id,
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * Benchmark history for the latency model: deploys each artifact (no gates) to the device and waits for its
 * report. A fleet whose reports cover a single model cannot tell per-inference overhead from cost per MAC, so
 * predictions for a new class would be flat in model size; two sizes measured on one device settle the curve.
 */
export async function calibrate(api: ApiClient, deviceId: string, artifactIds: string[], timeoutMs = 60_000): Promise<void> {
  await poll(`device ${deviceId} to register`, async () => ((await api.get(`/api/v1/devices/${deviceId}`)).status === 200 ? true : undefined), timeoutMs);
  for (const artifactId of artifactIds) {
    const dep = await ok(api, 'POST', '/api/v1/deployments', { artifactId, deviceIds: [deviceId] });
    await poll(`calibration deployment ${dep.id}`, async () => {
      const d = await ok(api, 'GET', `/api/v1/deployments/${dep.id}`);
      return d.status === 'in_progress' ? undefined : d;
    }, timeoutMs);
  }
}

export interface ClassTarget {
  name: string;
  family: string;
  tag: string;
  maxLatencyP95Ms: number;
  /** Distil on demand from this teacher and data set when no variant fits. */
  distill?: { datasetId: string; teacherArtifactId: string; epochs?: number };
}

/** One fleet target per device class: its tag selects the class's devices, its budget is the class's. */
export async function createClassTarget(api: ApiClient, t: ClassTarget): Promise<string> {
  const body = await ok(api, 'POST', '/api/v1/targets', {
    name: t.name, family: t.family, selector: { tags: [t.tag] }, budget: { maxLatencyP95Ms: t.maxLatencyP95Ms },
    ...(t.distill ? { distill: t.distill } : {}),
  });
  return body.id as string;
}

export interface ActiveOutcome {
  artifactId: string;
  /** The class's state row (decision, distillationJobId, details …). */
  state: any;
  /** The artifact as GET /models/:id shows it. */
  artifact: any;
}

/** The device's benchmark reports, one line each (for failure messages: what was tried and how it measured). */
export async function reportTrail(api: ApiClient, deviceId: string): Promise<string> {
  const reports = (await api.get(`/api/v1/devices/${deviceId}/reports?limit=50`)).body.items ?? [];
  const lines: string[] = [];
  for (const r of reports) {
    const m = (await api.get(`/api/v1/models/${r.artifactId}`)).body;
    lines.push(`${m.name} ${m.precision}: p95 ${r.latencyP95Ms} ms, accuracy ${r.accuracy}, ${r.passed ? 'passed' : 'rejected'}`);
  }
  return lines.join('\n');
}

const TERMINAL = ['failed', 'infeasible', 'rejected'];

/**
 * Waits until the target's row for the device's class is `active` and the device runs the chosen variant.
 * A pair that ends failed / infeasible / rejected throws with its reason (no point waiting for the timeout).
 */
export async function waitForClassActive(api: ApiClient, targetId: string, deviceId: string, timeoutMs: number): Promise<ActiveOutcome> {
  let last: unknown;
  try {
    return await poll(`device ${deviceId} to run its class's variant of target ${targetId}`, async () => {
      const device = await api.get(`/api/v1/devices/${deviceId}`);
      if (device.status !== 200) return undefined; // not registered yet
      const target = await ok(api, 'GET', `/api/v1/targets/${targetId}`);
      const state = target.classes.find((c: { profileClass: string }) => c.profileClass === device.body.profileClass);
      last = state;
      if (state && TERMINAL.includes(state.status)) throw new Error(`class of ${deviceId} ended ${state.status}: ${state.reason}`);
      if (state?.status !== 'active' || device.body.activeArtifactId !== state.chosenArtifactId) return undefined;
      const artifact = await ok(api, 'GET', `/api/v1/models/${state.chosenArtifactId}`);
      return { artifactId: state.chosenArtifactId as string, state, artifact };
    }, timeoutMs, 150);
  } catch (err) {
    if (err instanceof Error) err.message += `; last state: ${JSON.stringify(last)}\nreports of ${deviceId}:\n${await reportTrail(api, deviceId)}`;
    throw err;
  }
}
