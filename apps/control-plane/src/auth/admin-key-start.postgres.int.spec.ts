/**
 * Integration (PostgreSQL, 127.0.0.1:5432; skipped when down unless CI=true): control planes started at the
 * same moment on one empty database both come up, and the first-start admin key is stored once — no exit on
 * the unique key of ApiKey.hash, no second generated key. Each control plane has its own embedded broker.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createTempPostgresDatabase, PostgresGate, TempPostgresDatabase } from '@edgefleet/db/dist/testing';
import { ControlPlane, startControlPlane } from '../bootstrap';
import { AppConfig, AuditRepository, UnitOfWork } from '@edgefleet/platform';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyService } from './api-key.service';

describe('two control planes starting together on an empty PostgreSQL database', () => {
  const gate = new PostgresGate();
  let db: TempPostgresDatabase | undefined;
  const dirs: string[] = [];
  let cps: ControlPlane[] = [];

  before(() => gate.probe());
  after(async () => {
    await Promise.all(cps.map((cp) => cp.close()));
    await db?.drop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('both start, one admin key is generated, and the first-start step is serialised', async (t) => {
    if (gate.skipped(t)) return;
    db = await createTempPostgresDatabase();
    const env = async () => {
      const dir = await mkdtemp(join(tmpdir(), 'edgefleet-twin-'));
      dirs.push(dir);
      return { DATA_DIR: dir, DATABASE_URL: db!.url, PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'error', EMBEDDED_WORKER: 'false', AUTOPILOT_ENABLED: 'false' };
    };
    const settled = await Promise.allSettled([startControlPlane(await env()), startControlPlane(await env())]);
    cps = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'fulfilled'], settled.map((s) => (s.status === 'rejected' ? String(s.reason) : 'ok')).join('; '));
    assert.equal(cps.filter((cp) => cp.adminApiKeyGenerated).length, 1, 'exactly one generated key');

    // The start-up race, repeated deterministically: both control planes run the first-start step at once on
    // an emptied key table, once generating a key and once storing a given ADMIN_API_KEY.
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    try {
      const services = (adminApiKey?: string) => cps.map((cp) => {
        const config = Object.assign(Object.create(AppConfig.prototype) as AppConfig, cp.config, { adminApiKey });
        return new ApiKeyService(config, cp.app.get(ApiKeyRepository), cp.app.get(AuditRepository), cp.app.get(UnitOfWork));
      });
      for (let round = 0; round < 8; round++) {
        const given = round % 2 === 0 ? undefined : `given-admin-key-${round}-0123456789abcdef0123456789`;
        await sql.query('DELETE FROM "ApiKey"');
        const results = await Promise.all(services(given).map((s) => s.ensureAdminKey()));
        const { rows } = await sql.query<{ n: string }>('SELECT count(*) AS n FROM "ApiKey"');
        assert.equal(Number(rows[0]!.n), 1, `round ${round}: one stored key`);
        if (given === undefined) assert.equal(results.filter((r) => r.generated).length, 1, `round ${round}: one generated key`);
        else assert.deepEqual(results.map((r) => r.key), [given, given]);
      }
    } finally {
      await sql.end();
    }
  });
});
