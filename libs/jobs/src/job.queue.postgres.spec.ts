import { openDatabase, type Database } from '@edgefleet/db';
import { createTempPostgresDatabase, PostgresGate, probeTestPostgres } from '@edgefleet/db/dist/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeQueue, SkipTarget } from './job.queue.scenarios';

const gate = new PostgresGate();

describeQueue('PostgreSQL (3 connection pools racing)', async () => {
  await gate.probe(); // throws under CI=true when PostgreSQL is down
  if ((await probeTestPostgres()) !== true) throw new SkipTarget();
  const pg = await createTempPostgresDatabase();
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-jobs-'));
  const dbs: Database[] = [];
  for (let i = 0; i < 3; i++) dbs.push(await openDatabase({ databaseUrl: pg.url, dataDir: dir, migrate: i === 0 }));
  return {
    clients: dbs.map((d) => d.prisma),
    close: async () => {
      for (const d of dbs) await d.close();
      await pg.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}, (t) => gate.skipped(t));
