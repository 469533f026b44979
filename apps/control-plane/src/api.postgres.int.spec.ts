/**
 * Integration: the whole control plane in-process on a fresh PostgreSQL database (127.0.0.1:5432) and the
 * real Mosquitto (MQTT_URL, default mqtt://127.0.0.1:1883). Skipped when either is down, unless CI=true.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTempPostgresDatabase, probeTestPostgres } from '@edgefleet/db/dist/testing';
import { skipReason, testBrokers } from './mqtt/testing/test-brokers';
import { describeApi } from './testing/api-scenarios';

describeApi('PostgreSQL + Mosquitto', async () => {
  const broker = testBrokers().find((b) => b.mqttUrl)!;
  const pg = await probeTestPostgres();
  const brokerDown = await skipReason(broker);
  if (pg !== true || brokerDown) {
    if (process.env['CI'] === 'true') throw new Error(`PostgreSQL: ${pg}`);
    return undefined;
  }
  const db = await createTempPostgresDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'edgefleet-cp-pg-'));
  return {
    env: { DATA_DIR: dataDir, DATABASE_URL: db.url, MQTT_URL: broker.mqttUrl },
    cleanup: async () => {
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
