import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '@edgefleet/db';
import { HealthService } from './health.service';
import type { HealthRepository } from './health.repository';

// The repository is a stand-in: this is about the order of start-up, not about the database (the API tests ping a real one).
const answering = { ping: async () => undefined } as unknown as HealthRepository;
const refusing = { ping: async () => { throw new Error('connection refused'); } } as unknown as HealthRepository;
const db = { kind: 'pglite' } as Database;

test('health is 503 "starting" until start-up is complete (the admin key stored), then follows the database', async () => {
  const health = new HealthService(answering, db);
  assert.deepEqual(await health.check(), { ok: false, reason: 'starting' });
  health.markStarted();
  const r = await health.check();
  assert.equal(r.ok, true);
  const down = new HealthService(refusing, db);
  down.markStarted();
  assert.deepEqual(await down.check(), { ok: false, reason: 'database unreachable: connection refused' });
});
