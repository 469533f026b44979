/**
 * The web dashboard in a real browser: Debian's Chromium driven by playwright-core, against a control plane (PGlite +
 * embedded Aedes, in this process), its embedded distillation worker and device agents as real child processes.
 * It asserts what a person sees: the login refusing a wrong key, figures that match the API, charts that draw,
 * a deployment's progress moving on the page (server-sent events, no reload) while a real agent works, and the
 * telemetry charts drawing the inferences `agent:load` made on an agent's endpoint, and a rollout's live page: its
 * waves, thresholds and devices' figures matching the API, read only for a viewer, paused, resumed and approved by
 * an operator on the page, with the new model's telemetry beside the old one's.
 * Screenshots go to test-output/ui/ (and to docs/screenshots/ with UPDATE_SCREENSHOTS=1).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { chromium, Browser, Page } from 'playwright-core';
import { ControlPlane, startControlPlane } from '@edgefleet/control-plane';
import { AgentProcess, Api, CI, enrollmentToken, knownClassifier, modelForm, startAgentProcess, waitFor } from './support';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = resolve(__dirname, '../..');
const OUT = join(ROOT, 'test-output/ui');
const DOCS = join(ROOT, 'docs/screenshots');
const AGENT_LOAD = join(ROOT, 'device-agent/dist/load.js');

/** The bit of a page's canvas this test reads (the test's own types have no DOM). */
interface Canvas { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } }

/** The dashboard's formatting of milliseconds and shares (apps/control-plane/ui/src/format.ts). */
const ms = (v: number) => `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`;
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

/** A CSV of 3 well-separated classes (label first), deterministic. */
function csv(rows = 240, features = 8, classes = 3): string {
  let s = 11;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const lines = ['label,' + Array.from({ length: features }, (_, i) => `f${i}`).join(',')];
  for (let r = 0; r < rows; r++) {
    const y = r % classes;
    lines.push(`${y},${Array.from({ length: features }, (_, i) => ((i % classes === y ? 0.8 : 0.2) + (rand() - 0.5) * 0.3).toFixed(3)).join(',')}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('dashboard in Chromium', { timeout: 1_200_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-ui-'));
  const agents: AgentProcess[] = [];
  let cp: ControlPlane;
  let admin: Api;
  let viewerKey: string;
  let browser: Browser | undefined;
  let page: Page;
  let skip: string | undefined;
  let token: string;
  let jobId: string;

  const shot = async (name: string) => {
    const file = join(OUT, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(file, join(DOCS, `${name}.png`));
  };
  const agent = (id: string, profile: string) => {
    const a = startAgentProcess({ brokerUrl: cp.mqttUrl, deviceId: id, profile, stateDir: join(dataDir, 'agents', id), tags: ['ui'], trustKeyPath: cp.signingPublicKeyPath, enroll: { token, httpUrl: cp.httpUrl },
      extraArgs: ['--telemetry-window-s', '2'] }); // serves /v1/infer on a socket in its state dir; a telemetry window every 2 s
    agents.push(a);
    return a;
  };
  const text = (testId: string) => page.getByTestId(testId).locator('.value').innerText();
  /** Pixels drawn on a chart's canvas that are not transparent (uPlot draws its lines there). */
  const inkOf = (testId: string) => page.getByTestId(testId).locator('canvas').evaluate((c: Canvas) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
    return n;
  });

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      skip = `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
      if (CI) throw new Error(`CI=true but ${skip}`);
      return;
    }
    mkdirSync(OUT, { recursive: true });
    if (process.env.UPDATE_SCREENSHOTS === '1') mkdirSync(DOCS, { recursive: true });
    cp = await startControlPlane({ PATH: process.env.PATH, DATA_DIR: dataDir, PORT: '0', MQTT_PORT: '0', ADMIN_API_KEY: 'ui-e2e-admin-key-0123456789abcdef', LOG_LEVEL: 'error' });
    admin = new Api(cp.apiUrl, cp.adminApiKey);
    viewerKey = (await admin.ok('POST', '/api-keys', { name: 'dashboard e2e', role: 'viewer' })).key;
    // A distillation in the background (embedded worker): its curves and its model family are two of the pages.
    const form = new FormData();
    form.set('name', 'ui-synthetic');
    form.set('csv', new Blob([csv()]), 'data.csv');
    const dataset = await admin.ok('POST', '/datasets', form);
    jobId = (await admin.ok('POST', '/distillations', { datasetId: dataset.id, students: ['mlp:16'], epochs: 12, teacherEpochs: 4, seed: 5, batchSize: 16, evalSamples: 60, family: 'ui-synth' })).id;
    token = await enrollmentToken(cp.apiUrl, cp.adminApiKey!, ['ui']);
    agent('ui-gateway-1', 'gateway');
    agent('ui-rpi4-1', 'rpi4');
    await waitFor('both agents online', async () => (await admin.ok('GET', '/devices?status=online')).total === 2, 180_000);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    await Promise.all(agents.map((a) => a.stop('SIGKILL')));
    await cp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the static page needs no key, the data does; a wrong key is refused at login', async (t) => {
    if (skip) return t.skip(skip);
    const html = await fetch(`${cp.httpUrl}/ui/`);
    assert.equal(html.status, 200);
    assert.match(await html.text(), /<div id="app">/);
    assert.equal((await fetch(`${cp.apiUrl}/devices`)).status, 401);
    await page.goto(cp.uiUrl);
    await page.getByLabel('API key').fill('not-a-key-of-this-control-plane');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'This API key was refused.' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Fleet' }).count(), 0, 'no page behind the login');
    await shot('login-refused');
    await page.getByLabel('API key').fill(viewerKey);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
  });

  test('distillation: the job page draws its loss and accuracy curves; the family page shows teacher → student → precisions', async (t) => {
    if (skip) return t.skip(skip);
    await page.goto(`${cp.uiUrl}#/distillations/${jobId}`);
    await page.getByTestId('stat-status').filter({ hasText: 'succeeded' }).waitFor({ timeout: 90_000 });
    const job = await admin.ok('GET', `/distillations/${jobId}`);
    assert.equal(await text('stat-runs'), `${job.progress.runsDone} / ${job.progress.runsTotal}`);
    const curves: Array<{ run: string; points: unknown[] }> = job.progress.curves;
    assert.deepEqual(curves.map((c) => c.points.length).filter((n) => n > 0).length, curves.length, 'every run has points');
    // One legend entry per run, as many as the API's curves; and the canvas has lines on it.
    assert.equal(await page.getByTestId('chart-loss').locator('.u-legend .u-series').count(), curves.length + 1);
    assert.ok(await inkOf('chart-loss') > 500, 'the loss chart draws');
    assert.ok(await inkOf('chart-accuracy') > 500, 'the accuracy chart draws');
    await shot('distillation');

    // A long job (the finished teacher, early stopping off) watched while it runs: the epoch on the page moves
    // and the curve grows without a reload; then it is cancelled. Long on a quiet machine too: 500 epochs of mlp:32
    // on 2,400 rows finished in seconds there, before the page could show a second epoch.
    const bigger = new FormData();
    bigger.set('name', 'ui-synthetic-long');
    bigger.set('csv', new Blob([csv(12_000)]), 'data.csv');
    const long = await admin.ok('POST', '/distillations', {
      datasetId: (await admin.ok('POST', '/datasets', bigger)).id, teacherArtifactId: job.result.teacherArtifactId, students: ['mlp:256'], epochs: 500, patience: 0, seed: 7, family: 'ui-long',
    });
    await page.goto(`${cp.uiUrl}#/distillations/${long.id}`);
    await page.evaluate(() => { (globalThis as unknown as { sameDocument: boolean }).sameDocument = true; });
    const epochShown = async () => Number(/epoch (\d+)\//.exec(await text('stat-epoch'))?.[1] ?? 0);
    const first = await waitFor('a first epoch on the page', async () => (await epochShown()) || undefined, 60_000, 50);
    const later = await waitFor('a later epoch on the page', async () => { const e = await epochShown(); return e > first ? e : undefined; }, 60_000, 50);
    assert.ok(await inkOf('chart-loss') > 100, 'the running job\'s loss curve draws');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument), true, `epoch ${first} → ${later} came over SSE, not a reload`);
    await admin.ok('POST', `/distillations/${long.id}/cancel`);
    await page.getByTestId('stat-status').filter({ hasText: 'cancelled' }).waitFor({ timeout: 30_000 });

    await page.goto(`${cp.uiUrl}#/models/ui-synth`);
    const models: Array<{ id: string; precision: string; lineage: { role: string }; metrics: { accuracy: number } }> = (await admin.ok('GET', '/models?family=ui-synth')).items;
    const students = models.filter((m) => m.lineage.role === 'student');
    assert.deepEqual(students.map((m) => m.precision).sort(), ['fp16', 'fp32', 'int8']);
    await page.getByTestId('teachers').waitFor();
    for (const m of models) {
      const shown = await page.locator(`tr[data-variant="${m.id}"] [data-field="accuracy"]`).first().innerText();
      assert.equal(shown, `${(m.metrics.accuracy * 100).toFixed(1)} %`, `accuracy of ${m.precision} ${m.lineage.role}`);
    }
  });

  test('deployment: progress moves on the page while a real agent works, without a reload; the figures match the API', async (t) => {
    if (skip) return t.skip(skip);
    const student = (await admin.ok('GET', '/models?family=ui-synth')).items.find((m: { precision: string; lineage: { role: string } }) => m.precision === 'fp32' && m.lineage.role === 'student');
    // One agent goes away first: the deployment then waits for it, and its return is the progress we watch.
    const away = agents.find((a) => a.id === 'ui-rpi4-1')!;
    await away.stop('SIGTERM');
    await waitFor('rpi4 offline', async () => (await admin.ok('GET', '/devices/ui-rpi4-1')).status === 'offline', 30_000);
    await page.goto(`${cp.uiUrl}#/`);
    await page.getByTestId('stat-online').filter({ hasText: '1' }).waitFor();
    const devices = await admin.ok('GET', '/devices');
    assert.equal(await text('stat-devices'), String(devices.total));
    assert.equal(await text('stat-online'), String(devices.items.filter((d: { status: string }) => d.status === 'online').length));
    assert.equal(await text('stat-offline'), '1');
    const profiles = (await admin.ok('GET', '/profiles')).items as Array<{ profileClass: string; deviceCount: number }>;
    assert.equal(profiles.length, 2);
    for (const p of profiles) assert.equal(await page.locator(`tr[data-class="${p.profileClass}"] [data-field="devices"]`).innerText(), String(p.deviceCount));
    await shot('fleet');

    const dep = await admin.ok('POST', '/deployments', { artifactId: student.id, deviceIds: ['ui-gateway-1', 'ui-rpi4-1'] });
    await page.goto(`${cp.uiUrl}#/deployments/${dep.id}`);
    await page.evaluate(() => { (globalThis as unknown as { sameDocument: boolean }).sameDocument = true; });
    await page.getByTestId('stat-finished').filter({ hasText: '1 / 2' }).waitFor({ timeout: 180_000 });
    assert.equal(await page.locator('tr[data-device="ui-rpi4-1"] [data-field="state"]').innerText(), 'pending');
    assert.equal(await text('stat-status'), 'in_progress');
    await shot('deployment-in-progress');
    agent('ui-rpi4-1', 'rpi4'); // back: it takes the desired state, downloads, benchmarks and reports
    await page.getByTestId('stat-finished').filter({ hasText: '2 / 2' }).waitFor({ timeout: 180_000 });
    await page.getByTestId('stat-status').filter({ hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument), true, 'progress came over SSE, not a reload');
    const detail = await admin.ok('GET', `/deployments/${dep.id}`);
    for (const d of detail.devices) {
      assert.equal(await page.locator(`tr[data-device="${d.deviceId}"] [data-field="state"]`).innerText(), d.state);
      assert.equal(await page.locator(`tr[data-device="${d.deviceId}"] [data-field="p95"]`).innerText(), ms(d.report.latencyP95Ms));
    }
    await shot('deployment-done');

    // The device page: its reports and its model history, as the API has them.
    await page.goto(`${cp.uiUrl}#/devices/ui-gateway-1`);
    const reports = (await admin.ok('GET', '/devices/ui-gateway-1/reports')).items;
    await page.getByTestId('reports').waitFor();
    assert.equal(await text('stat-reports'), String(reports.length));
    assert.equal(await page.getByTestId('reports').locator('[data-field="p95"]').first().innerText(), ms(reports[0].latencyP95Ms));
    assert.match(await page.getByTestId('model-history').innerText(), /ui-synth-.*activated/);
    assert.match(await page.getByTestId('active-model').innerText(), /fp32/);
    await shot('device');

    // The family page: where each variant runs and the measured p95 per class beside the prediction.
    await page.goto(`${cp.uiUrl}#/models/ui-synth`);
    await page.getByTestId('latency').waitFor();
    assert.equal(await page.locator(`tr[data-variant="${student.id}"] [data-field="running"]`).first().innerText(), '2');
    for (const d of detail.devices) {
      const cls = devices.items.find((x: { id: string }) => x.id === d.deviceId).profileClass;
      const row = page.locator(`[data-testid="latency"] tr[data-class="${cls}"][data-variant="${student.id}"]`);
      assert.equal(await row.locator('[data-field="measured"]').innerText(), ms(d.report.latencyP95Ms));
      assert.match(await row.locator('[data-field="predicted"]').innerText(), /^\d+(\.\d+)? ms$/);
    }
    await shot('model-family');
  });

  test('telemetry: the inferences agent:load made on a device draw on its charts and the fleet\'s, matching the API', async (t) => {
    if (skip) return t.skip(skip);
    const series = async (filter: Record<string, string>) => {
      const to = new Date(Date.now() + 60_000);
      const q = new URLSearchParams({ from: new Date(to.getTime() - 3_600_000).toISOString(), to: to.toISOString(), resolution: '1m', ...filter });
      return (await admin.ok('GET', `/telemetry/series?${q}`)).points as Array<{ inferences: number; latencyP50Ms: number | null }>;
    };
    const sum = (pts: Array<{ inferences: number }>) => pts.reduce((a, p) => a + p.inferences, 0);
    const before = sum(await series({ deviceId: 'ui-gateway-1' }));
    // The real load generator over the agent's Unix socket (as `npm run demo` runs it), for 6 s: three 2-second windows or so.
    const load = spawn(process.execPath, [AGENT_LOAD, '--url', `unix:${join(dataDir, 'agents', 'ui-gateway-1', 'infer.sock')}`, '--rate', '50', '--duration', '6'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    load.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    load.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => load.once('exit', r));
    assert.equal(code, 0, out);
    const m = /total: sent (\d+) ok (\d+) errors (\d+)/.exec(out);
    assert.ok(m, out);
    const ok = Number(m[2]);
    assert.ok(ok >= 100, `agent:load made ${ok} inferences`);
    assert.equal(Number(m[3]), 0, out);
    // Every inference it made is counted once, after the agent's next windows arrived.
    const points = await waitFor('the inferences in the series API', async () => { const p = await series({ deviceId: 'ui-gateway-1' }); return sum(p) - before === ok ? p : undefined; }, 90_000);
    assert.ok(points.some((p) => p.inferences > 0 && p.latencyP50Ms !== null));

    await page.goto(`${cp.uiUrl}#/devices/ui-gateway-1`);
    await page.getByTestId('telemetry-charts').waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId('no-telemetry').count(), 0);
    assert.ok(await inkOf('chart-traffic') > 300, 'the inferences chart draws');
    assert.ok(await inkOf('chart-latency') > 300, 'the latency chart draws');
    await shot('device-telemetry');

    // The fleet page: the gateway's class has the same inferences, and its charts draw too.
    const cls = (await admin.ok('GET', '/devices/ui-gateway-1')).profileClass as string;
    assert.equal(sum(await series({ profileClass: cls })), sum(await series({ deviceId: 'ui-gateway-1' })));
    await page.goto(`${cp.uiUrl}#/`);
    await page.getByTestId('telemetry-charts').waitFor({ timeout: 60_000 }); // one class has telemetry: one set of charts
    assert.ok(await inkOf('chart-traffic') > 300, 'the class\'s inferences chart draws');
    await shot('fleet-telemetry');
  });

  test('rollout: the live page shows waves, thresholds and each device\'s figures against the gates as the API has them; a viewer reads, an operator pauses, resumes and approves on it', async (t) => {
    if (skip) return t.skip(skip);
    // A third device, so the canary (one per class: gateway and rpi4) leaves a second wave.
    agent('ui-gateway-2', 'gateway');
    await waitFor('three agents online', async () => (await admin.ok('GET', '/devices?status=online')).total === 3, 180_000);
    const { model, evalSet } = knownClassifier('ui-rollout');
    const art = await admin.ok('POST', '/models', modelForm({ file: model, name: 'ui-rollout', version: '1', evalSet }));
    const seg = await admin.ok('POST', '/segments', { name: 'ui-fleet', selector: { tags: ['ui'] } });
    const created = await admin.ok('POST', '/rollouts', {
      name: 'ui-rollout', what: { artifactId: art.id }, segmentId: seg.id, gates: { minAccuracy: 0.5, maxLatencyP95Ms: 1000 },
      waves: [{ count: 1, requireApproval: true, success: { minPassPercent: 100 } }, { percent: 100, success: { minPassPercent: 100 } }],
      abort: { failurePercent: 50, minDevices: 2, action: 'pause' },
    });

    // The viewer (logged in by the first test): figures, no controls; the API refuses its actions too.
    await page.goto(`${cp.uiUrl}#/rollouts/${created.id}`);
    await page.evaluate(() => { (globalThis as unknown as { sameDocument: boolean }).sameDocument = true; });
    await page.getByTestId('stat-state').filter({ hasText: 'awaiting_approval' }).waitFor({ timeout: 240_000 });
    await page.getByTestId('read-only').waitFor();
    assert.equal(await page.getByTestId('rollout-actions').count(), 0, 'no controls for a viewer');
    const refused = await fetch(`${cp.apiUrl}/rollouts/${created.id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${viewerKey}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(refused.status, 403);
    const r = await admin.ok('GET', `/rollouts/${created.id}`);
    assert.equal(await text('stat-wave'), '0', 'waves numbered as the API numbers them');
    assert.equal(await text('stat-notified'), '2 / 3');
    assert.equal(await text('stat-failure-rate'), `${r.failureRate.percent} %`);
    for (const w of r.waves) {
      for (const [outcome, n] of Object.entries(w.counts)) assert.equal(await page.locator(`[data-testid="waves"] tr[data-wave="${w.wave}"] [data-field="${outcome}"]`).innerText(), String(n), `wave ${w.wave} ${outcome}`);
    }
    assert.equal(await page.locator('[data-testid="waves"] tr[data-wave="1"] [data-field="planned"]').innerText(), '1');
    for (const d of r.devices.filter((x: { notifiedAt?: string }) => x.notifiedAt)) {
      const row = page.locator(`[data-testid="rollout-devices"] tr[data-device="${d.deviceId}"]`);
      assert.equal(await row.locator('[data-field="outcome"]').innerText(), 'active');
      assert.equal(await row.locator('[data-field="p95"]').innerText(), ms(d.p95Ms), `${d.deviceId} p95`);
      assert.equal(await row.locator('[data-field="accuracy"]').innerText(), pct(d.accuracy), `${d.deviceId} accuracy`);
      assert.equal(await row.locator('[data-field="p95"]').getAttribute('class'), 'n ok', `${d.deviceId}: p95 within the gate`);
    }
    for (const [cls, h] of Object.entries(r.classes) as Array<[string, { passPercent?: number }]>) {
      if (h.passPercent !== undefined) assert.equal(await page.locator(`[data-testid="classes"] tr[data-class="${cls}"] [data-field="pass"]`).innerText(), `${h.passPercent} %`);
    }
    await shot('rollout-awaiting-approval');

    // An operator: pause, resume (wave 1 met its criteria again: approval again), approve — all on the page, live.
    const operatorKey = (await admin.ok('POST', '/api-keys', { name: 'dashboard operator', role: 'operator' })).key;
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('API key').fill(operatorKey);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    await page.goto(`${cp.uiUrl}#/rollouts/${created.id}`);
    await page.evaluate(() => { (globalThis as unknown as { sameDocument: boolean }).sameDocument = true; });
    await page.getByTestId('rollout-actions').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Resume' }).isDisabled(), true, 'resume is for paused rollouts');
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByTestId('stat-state').filter({ hasText: 'paused' }).waitFor({ timeout: 90_000 });
    assert.equal((await admin.ok('GET', `/rollouts/${created.id}`)).state, 'paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByTestId('stat-state').filter({ hasText: 'awaiting_approval' }).waitFor({ timeout: 90_000 });
    await page.getByRole('button', { name: 'Approve next wave' }).click();
    await page.getByTestId('stat-state').filter({ hasText: 'completed' }).waitFor({ timeout: 240_000 });
    assert.equal(await page.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument), true, 'the states came over SSE, not a reload');
    const done = await admin.ok('GET', `/rollouts/${created.id}`);
    assert.deepEqual(done.decisions.map((d: { action: string; actor: string }) => d.action), ['start', 'await-approval', 'pause', 'resume', 'await-approval', 'approve', 'complete']);
    assert.match(await page.getByTestId('decisions').innerText(), /approve by apikey:.*from the dashboard/);
    assert.equal(await text('stat-notified'), '3 / 3');
    assert.equal(await page.locator('[data-testid="waves"] tr[data-wave="1"] [data-field="active"]').innerText(), '1');

    // Telemetry of the new model beside the old one: the fp32 student served agent:load in the telemetry test; now the
    // gateway serves the rollout's model to the same load generator.
    const load = spawn(process.execPath, [AGENT_LOAD, '--url', `unix:${join(dataDir, 'agents', 'ui-gateway-1', 'infer.sock')}`, '--rate', '50', '--duration', '4'], { stdio: 'ignore' });
    assert.equal(await new Promise<number | null>((res) => load.once('exit', res)), 0);
    // The rollout's telemetry API: its devices' windows per model, the new one and the one they ran before.
    type ModelSeries = { modelId: string; role: string; devices: number; points: Array<{ inferences: number }> };
    const served = (m: ModelSeries | undefined) => (m?.points ?? []).reduce((a, p) => a + p.inferences, 0);
    const tele = await waitFor('the new model\'s telemetry in the rollout\'s telemetry API', async () => {
      const q = new URLSearchParams({ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString(), resolution: '1m' });
      const tm = await admin.ok('GET', `/rollouts/${created.id}/telemetry?${q}`);
      return served(tm.models.find((m: ModelSeries) => m.role === 'new')) > 0 ? tm : undefined;
    }, 90_000);
    const student = tele.models.find((m: ModelSeries) => m.role === 'previous');
    assert.equal(tele.devices, 3);
    assert.deepEqual(tele.models.map((m: ModelSeries) => `${m.role} ${m.devices}`).sort(), ['new 3', 'previous 2'], 'the new model on 3 devices; 2 ran the student before');
    assert.ok(served(student) >= 100, `the student's windows from the telemetry test (${served(student)} inferences)`);
    await page.reload();
    await page.getByTestId('model-comparison').waitFor({ timeout: 60_000 });
    // The lines are labelled by model id until the page has fetched the models' names (a separate request that may
    // answer after the telemetry's): wait for the names, as a person would see them a moment later.
    const legendOf = page.getByTestId('chart-compare-p95').locator('.u-legend');
    await legendOf.filter({ hasText: 'new: ui-rollout@1' }).filter({ hasText: 'before: ui-synth' }).waitFor({ timeout: 30_000 });
    const legend = await legendOf.innerText();
    assert.match(legend, /new: ui-rollout@1/);
    assert.match(legend, /before: ui-synth/);
    assert.ok(await inkOf('chart-compare-p95') > 300, 'the p95 comparison draws');
    await shot('rollout-completed');
  });
});
