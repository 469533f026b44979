import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PROTOCOL_VERSION } from '@edgefleet/contracts';
import { silentLogger } from '../lib/logger';
import { MAX_OUTCOMES, emptyState, outcomeFor, withOutcome } from './agent-state';
import { StateStore } from './state-store';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function store() {
  const d = await mkdtemp(join(tmpdir(), 'state-'));
  dirs.push(d);
  const s = new StateStore(d, silentLogger);
  await s.init();
  return s;
}
const sha = 'ab'.repeat(32);

describe('StateStore', () => {
  it('starts empty and round-trips desired, active and outcomes', async () => {
    const s = await store();
    assert.deepEqual(await s.load(), emptyState());
    const state = withOutcome(
      {
        ...emptyState(),
        desired: { v: PROTOCOL_VERSION, deviceId: 'dev', seq: 1, deploymentId: 'd', issuedAt: '2025-01-01T00:00:00Z', expiresAt: '2025-01-02T00:00:00Z', keyId: '0123456789abcdef', artifact: { id: 'a', name: 'n', version: '1', precision: 'int8', sha256: sha, size: 10, blockSize: 1024 }, gates: { minAccuracy: 0.5 } },
        active: { sha256: sha, deploymentId: 'd', name: 'n', version: '1', activatedAt: 'now' },
      },
      { deploymentId: 'd', sha256: sha, outcome: 'activated', at: 'now' },
    );
    await s.save(state);
    const back = await s.load();
    assert.equal(back.desired?.artifact.sha256, sha);
    assert.equal(back.desired?.gates.minAccuracy, 0.5);
    assert.equal(back.active?.sha256, sha);
    assert.equal(outcomeFor(back, 'd', sha)?.outcome, 'activated');
    assert.deepEqual((await readdir(s.dir)).filter((f) => f.endsWith('.tmp')), [], 'no temp files left behind');
  });

  it('moves a corrupt state file aside and starts empty', async () => {
    const s = await store();
    await writeFile(s.statePath, '{"version":1,"outc');
    assert.deepEqual(await s.load(), emptyState());
    assert.ok((await readdir(s.dir)).some((f) => f.startsWith('state.json.corrupt-')));
  });

  it('drops a stored desired state that no longer validates', async () => {
    const s = await store();
    await writeFile(s.statePath, JSON.stringify({ version: 1, outcomes: [], desired: { v: 1, deploymentId: 'x' } }));
    const st = await s.load();
    assert.equal(st.desired, undefined);
  });

  it('keeps outcomes bounded and replaces records of the same deployment', () => {
    let st = emptyState();
    for (let i = 0; i < MAX_OUTCOMES + 5; i++) st = withOutcome(st, { deploymentId: `d${i}`, sha256: sha, outcome: 'failed', at: 'x' });
    assert.equal(st.outcomes.length, MAX_OUTCOMES);
    st = withOutcome(st, { deploymentId: `d${MAX_OUTCOMES + 4}`, sha256: sha, outcome: 'activated', at: 'y' });
    assert.equal(st.outcomes.length, MAX_OUTCOMES);
    assert.equal(outcomeFor(st, `d${MAX_OUTCOMES + 4}`, sha)?.outcome, 'activated');
  });

  it('garbage-collects objects that are neither kept nor valid names', async () => {
    const s = await store();
    const keep = 'cd'.repeat(32);
    await writeFile(s.objectPath(sha), 'x');
    await writeFile(s.objectPath(keep), 'y');
    assert.deepEqual(await s.collectGarbage(new Set([keep])), [sha]);
    assert.equal(await s.hasObject(keep), true);
    assert.equal(await s.hasObject(sha), false);
  });
});
