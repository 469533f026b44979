import { openDatabase } from '@edgefleet/db';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeQueue } from './job.queue.scenarios';

// PGlite is one connection: the "workers" share it, so this checks the SQL and the state machine, not races.
describeQueue('PGlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-jobs-'));
  const db = await openDatabase({ dataDir: dir });
  return {
    clients: [db.prisma],
    close: async () => {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
