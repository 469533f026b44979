/**
 * Telemetry through the whole control plane (PGlite, embedded broker, real handlers): a device publishes windows
 * over MQTT, a redelivered batch is stored once, the series and drift APIs answer from what was stored, the
 * maintenance job's rollups give the same series, and heartbeats set lastSeenAt.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { CONFIDENCE_BUCKETS, LATENCY_BUCKETS_MS, PROTOCOL_VERSION, topics, type TelemetryMessage, type TelemetryWindow } from '@edgefleet/contracts';
import { startControlPlane, type ControlPlane } from '../bootstrap';
import { ApiClient, evalSetFor, profile, tinyClassifier } from '../testing/factories';
import { ModelRepository } from '@edgefleet/catalog';
import { TelemetryIngest } from './telemetry-ingest.service';
import { TelemetryMaintenance } from './telemetry-maintenance.service';
import { addInto, TelemetryRepository } from './telemetry.repository';

// No typings ship with the parser: it turns the text format into metric families.
const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => Array<{ name: string; type: string; metrics: Array<{ labels?: Record<string, string>; value?: string }> }>;

const ADMIN = 'telemetry-int-admin-key-0123456789';

function window(id: string, endMs: number, model: string, cls: number[], latencyBucket = 3): TelemetryWindow {
  const n = cls.reduce((a, b) => a + b, 0);
  const lat = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  lat[latencyBucket] = n;
  const conf = new Array<number>(CONFIDENCE_BUCKETS).fill(0);
  conf[7] = n;
  return {
    id, start: new Date(endMs - 1000).toISOString(), end: new Date(endMs).toISOString(), model, n, err: 1, latSum: n * 3, pSum: n * 0.75,
    lat, cls, conf, margin: [...conf], ent: [...conf],
  };
}

describe('telemetry ingest, query and drift (PGlite, embedded broker)', () => {
  let dir: string;
  let cp: ControlPlane;
  let api: ApiClient;
  let device: MqttClient;
  let sha: string;
  let modelId: string;
  const deviceId = 'tele-1';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgefleet-telemetry-'));
    cp = await startControlPlane({
      DATA_DIR: dir, PORT: '0', MQTT_PORT: '0', ADMIN_API_KEY: ADMIN, LOG_LEVEL: 'error', TELEMETRY_FLUSH_MS: '10', TELEMETRY_DRIFT_WINDOW_S: '5', TELEMETRY_BASELINE_S: '2',
    });
    api = new ApiClient(cp.httpUrl, ADMIN);
    const model = await api.uploadModel({ name: 'tele', version: '1' }, tinyClassifier(4, 3), evalSetFor(4, 3, 30));
    assert.equal(model.status, 201, JSON.stringify(model.body));
    sha = model.body.sha256;
    modelId = model.body.id;
    const res = await api.post('/api/v1/devices', { id: deviceId, tags: ['t'], profile: profile() });
    assert.equal(res.status, 201);
    device = await mqtt.connectAsync(cp.mqttUrl, { clientId: deviceId, username: deviceId, password: res.body.credential.password, reconnectPeriod: 0 });
  });
  after(async () => {
    await device?.endAsync();
    await cp?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const send = (m: TelemetryMessage) => device.publishAsync(topics.telemetry(deviceId), JSON.stringify(m), { qos: 1 });
  const stored = () => cp.app.get(TelemetryRepository).countWindows({ deviceId });
  async function settle(): Promise<void> {
    // The broker acknowledged the publish; the handler then buffers for TELEMETRY_FLUSH_MS. Wait for the handler, then flush.
    const ingest = cp.app.get(TelemetryIngest);
    for (let i = 0; i < 200 && ingest.counters.messages < expectedMessages; i++) await new Promise((r) => setTimeout(r, 10));
    await ingest.flush();
  }
  let expectedMessages = 0;

  it('stores a batch once even when it is delivered twice, and the heartbeat sets lastSeenAt', async () => {
    const t = Date.now() - 60_000;
    const batch: TelemetryMessage = {
      v: PROTOCOL_VERSION,
      windows: [window('w1', t, sha, [10, 10, 10]), window('w2', t + 1000, sha, [9, 11, 10])],
      heartbeat: { at: new Date().toISOString(), cpu: 0.1, rssMb: 50, uptimeS: 3, agentVersion: '0.1.0', activeSha256: sha },
    };
    await send(batch);
    await send(batch);
    expectedMessages = 2;
    await settle();
    assert.equal(await stored(), 2);
    assert.equal(cp.app.get(TelemetryIngest).counters.windowsDuplicate >= 2, true);
    const dev = await api.get(`/api/v1/devices/${deviceId}`);
    assert.ok(dev.body.lastSeenAt, 'lastSeenAt set by telemetry');
  });

  it('answers series ready to plot (raw and 1m, from raw windows and from rollups alike)', async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const raw = await api.get(`/api/v1/telemetry/series?from=${from}&to=${to}&resolution=raw&deviceId=${deviceId}`);
    assert.equal(raw.status, 200, JSON.stringify(raw.body));
    assert.equal(raw.body.resolution, 'raw');
    assert.deepEqual(raw.body.points.map((p: { inferences: number }) => p.inferences), [30, 30]);
    const p = raw.body.points[0];
    assert.equal(p.errors, 1);
    assert.equal(p.meanTopProbability, 0.75);
    // Every latency in bucket 3 (2 < ms ≤ 5): p50 interpolates to 3.5, p95 to 4.85.
    assert.equal(p.latencyP50Ms, 3.5);
    assert.equal(p.latencyP95Ms, 4.85);
    const byModel = await api.get(`/api/v1/telemetry/series?from=${from}&to=${to}&resolution=1m&modelId=${modelId}`);
    const total = byModel.body.points.reduce((a: number, q: { inferences: number }) => a + q.inferences, 0);
    assert.equal(total, 60);
    // After the maintenance job rebuilt the rollups, a series read from them (query "now" moved an hour on) sums the same.
    await cp.app.get(TelemetryMaintenance).runOnce(new Date(Date.now() + 1000));
    const other = await api.get(`/api/v1/telemetry/series?from=${from}&to=${to}&resolution=1m&profileClass=0000000000000000`);
    assert.deepEqual(other.body.points, []);
    const bad = await api.get(`/api/v1/telemetry/series?from=${to}&to=${from}&resolution=1m`);
    assert.equal(bad.status, 400);
  });

  it('flags drift when the class distribution moves away from the eval set', async () => {
    const calm = await api.get('/api/v1/telemetry/drift');
    assert.equal(calm.status, 200, JSON.stringify(calm.body));
    assert.equal(calm.body.total, 1);
    assert.equal(calm.body.items[0].modelId, modelId);
    assert.equal(calm.body.items[0].metric, 'psi');
    assert.equal(calm.body.items[0].drifted, false, JSON.stringify(calm.body.items[0]));
    // Now the device sees almost only class 0.
    await send({ v: PROTOCOL_VERSION, windows: [window('w3', Date.now() - 1000, sha, [58, 1, 1])] });
    expectedMessages = 3;
    await settle();
    const drifted = await api.get('/api/v1/telemetry/drift');
    assert.equal(drifted.body.items[0].drifted, true, JSON.stringify(drifted.body.items[0]));
    assert.ok(drifted.body.items[0].value > 0.2);
  });

  it('flags confidence drift against the baseline of the model\'s first telemetry on the class, which is kept', async () => {
    // The first 2 s (TELEMETRY_BASELINE_S) of this model's telemetry were w1 and w2: confident (bucket 7).
    const before = (await api.get('/api/v1/telemetry/drift')).body.items.find((i: { metric: string }) => i.metric === 'confidence_psi');
    assert.ok(before, 'a confidence item once the baseline span is over');
    assert.equal(before.drifted, false, JSON.stringify(before));
    const cls = (await api.get(`/api/v1/devices/${deviceId}`)).body.profileClass;
    const baseline = await cp.app.get(TelemetryRepository).baseline(modelId, cls);
    assert.equal(baseline?.inferences, 60);
    // Now the model is unsure: its top probability falls in [0.2, 0.3).
    const unsure = window('w4', Date.now() - 500, sha, [20, 20, 20]);
    unsure.conf = unsure.conf.map((_, i) => (i === 2 ? 60 : 0));
    await send({ v: PROTOCOL_VERSION, windows: [unsure] });
    expectedMessages = 4;
    await settle();
    const after = (await api.get('/api/v1/telemetry/drift')).body.items.find((i: { metric: string }) => i.metric === 'confidence_psi');
    assert.equal(after.drifted, true, JSON.stringify(after));
    assert.ok(after.value > 0.2);
    // The baseline did not move with the new windows.
    assert.deepEqual((await cp.app.get(TelemetryRepository).baseline(modelId, cls))?.confHist, baseline?.confHist);
  });

  it('/metrics is closed without a key and parses as Prometheus text with fleet-level series; the Grafana dashboard queries only metrics it has', async () => {
    const closed = await fetch(`${cp.httpUrl}/metrics`);
    assert.equal(closed.status, 401);
    const res = await fetch(`${cp.httpUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    assert.doesNotMatch(text, new RegExp(deviceId), 'no per-device labels');
    const families = new Map(parsePrometheus(text).map((f) => [f.name, f]));
    const value = (name: string, labels: Record<string, string> = {}) =>
      Number(families.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value);
    assert.equal(families.get('edgefleet_fleet_inferences_total')?.type, 'COUNTER');
    assert.equal(value('edgefleet_fleet_inferences_total', { model_id: modelId }), 180);
    assert.equal(value('edgefleet_model_drifted', { model_id: modelId, signal: 'class' }), 1);
    assert.equal(value('edgefleet_model_drifted', { model_id: modelId, signal: 'confidence' }), 1);
    assert.ok(value('edgefleet_mqtt_messages_received_total', { kind: 'telemetry' }) >= 3);
    assert.ok(value('edgefleet_http_requests_total', { route: '/api/v1/telemetry/drift', status: '200' }) >= 2);
    assert.equal(value('edgefleet_devices', { status: 'registered' }) + (value('edgefleet_devices', { status: 'online' }) || 0), 1);
    assert.ok(families.has('edgefleet_job_queue_depth') && families.has('edgefleet_ota_active_transfers') && families.has('edgefleet_ota_bytes_sent_total'));
    // The device counts are cached between scrapes until a device changes: a new device shows in the next one.
    assert.equal((await api.post('/api/v1/devices', { id: 'tele-metrics-2', profile: profile() })).status, 201);
    const again = await (await fetch(`${cp.httpUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    const devices = parsePrometheus(again).find((f) => f.name === 'edgefleet_devices')?.metrics ?? [];
    assert.equal(devices.reduce((n, m) => n + Number(m.value), 0), 2);
    for (const f of families.values()) {
      if (f.type === 'COUNTER') assert.match(f.name, /_total$/, `${f.name}: counters end in _total`);
    }

    const dashboard = JSON.parse(await readFile(join(__dirname, '..', '..', '..', '..', 'deploy', 'grafana', 'edgefleet-dashboard.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    assert.ok(dashboard.panels.length >= 10);
    for (const panel of dashboard.panels) {
      for (const t of panel.targets) {
        for (const [name] of t.expr.matchAll(/edgefleet_[a-z0-9_]+/g)) {
          const base = families.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
          assert.ok(families.has(base), `panel "${panel.title}" queries ${name}, which /metrics does not have`);
          if (base !== name) assert.equal(families.get(base)?.type, 'HISTOGRAM', `${name} is a histogram series`);
        }
      }
    }
  });

  it('loses no window when a flush runs while a message waits for its model lookup', async () => {
    // A sha256 never seen: accept() looks the model up in the database, and a flush starts meanwhile. A row pushed
    // after that await used to land in the array the flush had already taken, and was never written.
    const ingest = cp.app.get(TelemetryIngest);
    const unknown = 'e'.repeat(64);
    const t = Date.now() - 30_000;
    const msg: TelemetryMessage = { v: PROTOCOL_VERSION, windows: [window('race-1', t, unknown, [1, 2, 3]), window('race-2', t + 1000, unknown, [3, 2, 1])] };
    const before = await stored();
    await Promise.all([ingest.accept(deviceId, msg), ingest.flush()]);
    await ingest.flush();
    assert.equal(await stored(), before + 2);
  });

  it('refuses a message with a window whose dates are ISO 8601 but not RFC 3339 date-times, alone: the batch around it is stored', async () => {
    // isISO8601 (strict) accepted week dates; a row with an Invalid Date made its whole insert fail, at every retry.
    // The contract's one instant rule (IsInstant) now refuses the message at the door.
    const ingest = cp.app.get(TelemetryIngest);
    const failures = ingest.counters.flushFailures;
    const before = await stored();
    const t = Date.now() - 25_000;
    const weekDated = { ...window('week-1', t, sha, [1, 1, 1]), start: '2026-W48' };
    const rejected = new Promise<string>((resolve) => device.once('message', (_topic, payload) => resolve(payload.toString())));
    await device.subscribeAsync(topics.rejected(deviceId), { qos: 0 });
    expectedMessages = ingest.counters.messages + 1; // the refused message is not counted
    await send({ v: PROTOCOL_VERSION, windows: [weekDated] });
    await send({ v: PROTOCOL_VERSION, windows: [window('after-week-1', t + 1000, sha, [1, 1, 1])] });
    assert.match(await rejected, /start must be an RFC 3339 date-time/);
    await settle();
    await device.unsubscribeAsync(topics.rejected(deviceId));
    assert.equal(await stored(), before + 1);
    assert.equal(ingest.counters.flushFailures, failures);
  });

  it('acks a message on …/ack only once its windows are committed, again for a resend; a refused one is rejected with its msgId', async () => {
    const ingest = cp.app.get(TelemetryIngest);
    const repo = cp.app.get(TelemetryRepository);
    const real = repo.insertWindows.bind(repo);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    repo.insertWindows = async (rows) => { await gate; return real(rows); }; // the real insert, held until released
    const answers: Array<{ topic: string; msgId?: string }> = [];
    const onMessage = (topic: string, payload: Buffer) => answers.push({ topic, msgId: (JSON.parse(payload.toString()) as { msgId?: string }).msgId });
    device.on('message', onMessage);
    await device.subscribeAsync([topics.ack(deviceId), topics.rejected(deviceId)], { qos: 1 });
    const acks = (id: string) => answers.filter((a) => a.topic === topics.ack(deviceId) && a.msgId === id).length;
    const until = async (what: string, ok: () => boolean) => {
      for (const end = Date.now() + 10_000; !ok();) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const t = Date.now() - 15_000;
    const msg: TelemetryMessage = { v: PROTOCOL_VERSION, msgId: 'tele-ack-0001', windows: [window('ack-1', t, sha, [1, 1, 1]), window('ack-2', t + 1000, sha, [2, 1, 1])] };
    const before = await stored();
    try {
      const received = ingest.counters.messages;
      await send(msg);
      await until('the message in the ingest', () => ingest.counters.messages > received);
      await new Promise((r) => setTimeout(r, 300)); // 30 flush periods: the batch is in its (held) insert
      assert.equal(acks('tele-ack-0001'), 0, 'no ack before the commit');
      release();
      await until('the ack', () => acks('tele-ack-0001') === 1);
      assert.equal(await stored(), before + 2, 'acked: both windows committed');
    } finally {
      repo.insertWindows = real;
    }
    await send(msg); // a resend (its ack was lost, say): every window a duplicate, acked again
    await until('the second ack', () => acks('tele-ack-0001') === 2);
    assert.equal(await stored(), before + 2);

    await send({ v: PROTOCOL_VERSION, msgId: 'tele-bad-0001', windows: [{ ...window('bad-1', t, sha, [1]), start: '2026-W48' }] });
    await until('the rejection', () => answers.some((a) => a.topic === topics.rejected(deviceId)));
    assert.deepEqual(answers.filter((a) => a.topic === topics.rejected(deviceId)).map((a) => a.msgId), ['tele-bad-0001'], 'refused for good, with its id: the device drops it');
    assert.equal(acks('tele-bad-0001'), 0);
    device.off('message', onMessage);
    await device.unsubscribeAsync([topics.ack(deviceId), topics.rejected(deviceId)]);
  });

  it('looks a model up once however many messages wait for it', async () => {
    const ingest = cp.app.get(TelemetryIngest);
    const models = cp.app.get(ModelRepository);
    const real = models.findBySha256.bind(models);
    let lookups = 0;
    models.findBySha256 = (sha256: string) => { lookups++; return real(sha256); }; // counts the real lookups
    try {
      const unknown = 'f'.repeat(64);
      const t = Date.now() - 20_000;
      await Promise.all(Array.from({ length: 20 }, (_, i) => ingest.accept(deviceId, { v: PROTOCOL_VERSION, windows: [window(`herd-${i}`, t + i, unknown, [1, 1, 1])] })));
      await ingest.flush();
    } finally {
      models.findBySha256 = real;
    }
    assert.equal(lookups, 1);
  });

  it('rebuilds the rollups in the database: per minute and cell, the sums of the raw windows (histograms element-wise)', async () => {
    const repo = cp.app.get(TelemetryRepository);
    // A window with a shorter class histogram than the others: its missing classes count as zeros.
    expectedMessages = cp.app.get(TelemetryIngest).counters.messages + 1;
    await send({ v: PROTOCOL_VERSION, windows: [window('w-short', Date.now() - 2000, sha, [4])] });
    await settle();
    const from = new Date(Date.now() - 3_600_000);
    const to = new Date(Date.now() + 120_000);
    const cells = await repo.rebuildRollups('1m', from, to);
    const rolled = await repo.rollups('1m', from, to, {});
    const expected = new Map<string, { count: number; errors: number; latencySumMs: number; topProbSum: number; latencyHist: number[]; classCounts: number[]; confHist: number[] }>();
    for (const w of await repo.windows(from, to, {})) {
      const key = `${Math.floor(w.t.getTime() / 60_000) * 60_000}|${w.deviceId}|${w.modelId}|${w.profileClass}`;
      const e = expected.get(key) ?? { count: 0, errors: 0, latencySumMs: 0, topProbSum: 0, latencyHist: [], classCounts: [], confHist: [] };
      expected.set(key, e);
      e.count += w.count;
      e.errors += w.errors;
      e.latencySumMs += w.latencySumMs;
      e.topProbSum += w.topProbSum;
      addInto(e.latencyHist, w.latencyHist);
      addInto(e.classCounts, w.classCounts);
      addInto(e.confHist, w.confHist);
    }
    assert.ok(expected.size > 0);
    assert.equal(cells, expected.size);
    assert.equal(rolled.length, expected.size);
    for (const r of rolled) {
      const e = expected.get(`${r.t.getTime()}|${r.deviceId}|${r.modelId}|${r.profileClass}`);
      assert.ok(e, `a rollup cell no window makes: ${JSON.stringify(r)}`);
      assert.deepEqual({ ...r, latencySumMs: Math.round(r.latencySumMs * 1e6), topProbSum: Math.round(r.topProbSum * 1e6) },
        { ...r, ...e, latencySumMs: Math.round(e.latencySumMs * 1e6), topProbSum: Math.round(e.topProbSum * 1e6) });
    }
    // Run again over the same range: replaced, not doubled.
    assert.equal(await repo.rebuildRollups('1m', from, to), expected.size);
    assert.equal((await repo.rollups('1m', from, to, {})).length, expected.size);
  });
});
