/**
 * API keys across control planes on one PostgreSQL database: two starting at once on an empty database create one
 * admin key between them, and a key revoked on one is refused by the other within API_KEY_RECHECK_MS although
 * that one had it cached. Each control plane runs its own embedded broker (no shared MQTT).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismaClient } from '@edgefleet/db';
import { createTempPostgresDatabase, PostgresGate, type TempPostgresDatabase } from '@edgefleet/db/dist/testing';
import { startControlPlane, type ControlPlane } from '../bootstrap';
import { ApiClient } from '../testing/factories';

const gate = new PostgresGate();
const RECHECK_MS = 300;

describe('API keys on PostgreSQL with two control planes', () => {
  let pg: TempPostgresDatabase | undefined;
  const dirs: string[] = [];
  const cps: ControlPlane[] = [];

  before(async () => {
    await gate.probe();
    pg = await createTempPostgresDatabase().catch(() => undefined);
  });
  after(async () => {
    for (const cp of cps) await cp.close();
    await pg?.drop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('two control planes starting at once on an empty database generate one admin key; a revocation reaches both', async (t) => {
    if (gate.skipped(t) || !pg) return;
    const start = async () => {
      const dir = await mkdtemp(join(tmpdir(), 'edgefleet-keys-pg-'));
      dirs.push(dir);
      const cp = await startControlPlane({
        DATABASE_URL: pg!.url, DATA_DIR: dir, PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'error', API_KEY_RECHECK_MS: String(RECHECK_MS), EMBEDDED_WORKER: 'false', AUTOPILOT_ENABLED: 'false',
      });
      cps.push(cp);
      return cp;
    };
    const [a, b] = await Promise.all([start(), start()]);
    assert.equal([a!, b!].filter((cp) => cp.adminApiKeyGenerated).length, 1, 'exactly one of them generated the key');
    assert.equal(await a!.app.get(PrismaClient).apiKey.count(), 1);
    const adminKey = (a!.adminApiKey ?? b!.adminApiKey)!;

    const created = await new ApiClient(a!.httpUrl, adminKey).post('/api/v1/api-keys', { name: 'shared', role: 'viewer' });
    assert.equal(created.status, 201);
    const onB = new ApiClient(b!.httpUrl, created.body.key as string);
    assert.equal((await onB.get('/api/v1/devices')).status, 200, 'B verifies and caches the key');
    assert.equal((await new ApiClient(a!.httpUrl, adminKey).delete(`/api/v1/api-keys/${created.body.id as string}`)).status, 204);
    await new Promise((r) => setTimeout(r, RECHECK_MS + 100));
    assert.equal((await onB.get('/api/v1/devices')).status, 401, 'B re-read the row and refuses the revoked key');
  });
});
