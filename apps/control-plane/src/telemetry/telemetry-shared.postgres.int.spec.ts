/**
 * Two control planes on one PostgreSQL database and one real Mosquitto (this test's own, on a free port) split the
 * devices' telemetry through the shared subscription `$share/<group>/…`: every message reaches exactly one of
 * them, both take a share, and every window is stored once. Runs against the PostgreSQL of TEST_DATABASE_URL (a
 * database of its own there); skipped when PostgreSQL or Mosquitto is missing, unless CI=true.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { CONFIDENCE_BUCKETS, LATENCY_BUCKETS_MS, PROTOCOL_VERSION, topics, type TelemetryMessage } from '@edgefleet/contracts';
import { createTempPostgresDatabase, PostgresGate, type TempPostgresDatabase } from '@edgefleet/db/dist/testing';
import { startControlPlane, type ControlPlane } from '../bootstrap';
import { mosquittoAvailable, startOwnMosquitto, type OwnMosquitto } from '../mqtt/testing/own-mosquitto';
import { ApiClient, profile } from '../testing/factories';
import { TelemetryIngest } from './telemetry-ingest.service';
import { TelemetryRepository } from './telemetry.repository';

const gate = new PostgresGate();
const ADMIN = 'telemetry-shared-admin-key-0123456789';
const MESSAGES = 60;

describe('telemetry split across two control planes by a shared subscription (Mosquitto, PostgreSQL)', () => {
  let pg: TempPostgresDatabase | undefined;
  let mosq: OwnMosquitto | undefined;
  let skip: string | undefined;
  const dirs: string[] = [];
  const cps: ControlPlane[] = [];
  let device: MqttClient | undefined;

  before(async () => {
    await gate.probe();
    if (!(await mosquittoAvailable())) {
      skip = 'mosquitto is not installed';
      if (process.env['CI'] === 'true') throw new Error(`${skip}, and CI=true requires it`);
      return;
    }
    pg = await createTempPostgresDatabase().catch(() => undefined);
    if (!pg) return;
    const dir = async () => {
      const d = await mkdtemp(join(tmpdir(), 'edgefleet-tele-share-'));
      dirs.push(d);
      return d;
    };
    const first = await dir();
    mosq = await startOwnMosquitto(first, [], { DATABASE_URL: pg.url });
    for (const d of [first, await dir()]) {
      cps.push(await startControlPlane({
        ...mosq.env, DATABASE_URL: pg.url, DATA_DIR: d, PORT: '0', ADMIN_API_KEY: ADMIN, LOG_LEVEL: 'error', TELEMETRY_FLUSH_MS: '20',
        EMBEDDED_WORKER: 'false', AUTOPILOT_ENABLED: 'false',
      }));
    }
  }, { timeout: 120_000 });

  after(async () => {
    await device?.endAsync(true).catch(() => undefined);
    for (const cp of cps) await cp.close();
    await mosq?.stop();
    await pg?.drop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('each message is ingested by exactly one control plane, both take a share, each window is stored once', { timeout: 60_000 }, async (t) => {
    if (skip) return t.skip(skip);
    if (gate.skipped(t) || !pg) return;
    const api = new ApiClient(cps[0]!.httpUrl, ADMIN);
    const res = await api.post('/api/v1/devices', { id: 'share-1', tags: ['share'], profile: profile() });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    device = await mqtt.connectAsync(mosq!.url, { clientId: 'share-1', username: 'share-1', password: res.body.credential.password, reconnectPeriod: 0 });
    const end = Date.now() - 60_000;
    for (let i = 0; i < MESSAGES; i++) {
      const msg: TelemetryMessage = {
        v: PROTOCOL_VERSION,
        windows: [{
          id: `share-w${i}`, start: new Date(end + i * 1000 - 1000).toISOString(), end: new Date(end + i * 1000).toISOString(), n: 1, err: 0, latSum: 2, pSum: 0.9,
          lat: LATENCY_BUCKETS_MS.map((_, b) => (b === 2 ? 1 : 0)).concat(0), cls: [1], conf: Array.from({ length: CONFIDENCE_BUCKETS }, (_, b) => (b === 9 ? 1 : 0)),
          margin: new Array<number>(CONFIDENCE_BUCKETS).fill(0), ent: new Array<number>(CONFIDENCE_BUCKETS).fill(0),
        }],
      };
      await device.publishAsync(topics.telemetry('share-1'), JSON.stringify(msg), { qos: 1 });
    }
    const ingests = cps.map((cp) => cp.app.get(TelemetryIngest));
    const received = () => ingests.reduce((a, i) => a + i.counters.messages, 0);
    for (const deadline = Date.now() + 30_000; received() < MESSAGES && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500)); // a duplicate delivery, were there one, would arrive meanwhile
    for (const i of ingests) await i.flush();
    const counts = ingests.map((i) => i.counters.messages);
    assert.equal(counts[0]! + counts[1]!, MESSAGES, `each message delivered to exactly one control plane (${counts.join(' + ')})`);
    assert.ok(counts.every((c) => c > 0), `both control planes took a share (${counts.join(' + ')})`);
    assert.equal(await cps[0]!.app.get(TelemetryRepository).countWindows({ deviceId: 'share-1' }), MESSAGES);
    assert.equal(ingests.reduce((a, i) => a + i.counters.windowsStored, 0), MESSAGES);
  });
});
