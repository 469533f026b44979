/** Integration: the whole control plane in-process on PGlite (temp DATA_DIR) and the embedded Aedes broker. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeApi } from './testing/api-scenarios';

describeApi('PGlite + embedded broker', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'edgefleet-cp-'));
  return { env: { DATA_DIR: dataDir }, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
});
