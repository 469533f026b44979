/**
 * Enrollment and signing-key rotation from the agent's side, in process, over the shared Mosquitto (run under the
 * suite lock) with MiniApi playing the control plane's HTTP API: the agent enrolls once (credential.json, 0600),
 * follows a rotation stage → activate → retire through GET /api/v1/trusted-keys, accepts a state signed by the new
 * key, and afterwards refuses the retired one. A key set signed only by an outsider is not taken.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateSigningKeyPair, type DeviceCredential } from '@edgefleet/contracts';
import { startAgent, type RunningAgent } from '../agent';
import { silentLogger } from '../lib/logger';
import { MiniApi } from '../testing/mini-api';
import { MiniControlPlane } from '../testing/mini-control-plane';
import { SHARED_BROKER, sharedBrokerSkip, uniqueDeviceId } from '../testing/test-env';
import { identityClassifier } from '../testing/tiny-models';

const FAST_BENCH = { warmupRuns: 1, minRuns: 5, minTimeMs: 10, maxTimeMs: 300, evalBatch: 16 };

async function eventually(pred: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('enrollment and key rotation (agent side)', async () => {
  const skip = await sharedBrokerSkip();
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'agent-rotation-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('enrolls once, follows stage → activate → retire, accepts the new key and then refuses the retired one', { skip, timeout: 60_000 }, async () => {
    const id = uniqueDeviceId('rotation');
    const stateDir = join(root, id);
    const oldKey = generateSigningKeyPair();
    const newKey = generateSigningKeyPair();
    const outsider = generateSigningKeyPair();
    const api = await MiniApi.start('enroll-me');
    const cp = await MiniControlPlane.connect(SHARED_BROKER, id);
    api.keys = [oldKey];
    const start = () => startAgent({
      brokerUrl: SHARED_BROKER, deviceId: id, stateDir, apiUrl: api.url, enrollToken: 'enroll-me', keyRefreshMs: 150,
      logger: silentLogger, profile: 'rpi4', benchmark: FAST_BENCH, retryBaseMs: 200,
    });
    let agent: RunningAgent | undefined;
    try {
      agent = await start();
      await agent.ready;
      const credPath = join(stateDir, 'credential.json');
      const cred = async () => JSON.parse(await readFile(credPath, 'utf8')) as DeviceCredential;
      assert.equal((await stat(credPath)).mode & 0o777, 0o600);
      assert.equal((await cred()).password, api.password);
      assert.equal(api.enrollments.length, 1);
      const keyIds = async () => (await cred()).trustedKeys.map((k) => k.keyId).sort();
      const refused: string[] = [];
      agent.events.on('refusedDesired', (code) => refused.push(code));

      const deploy = async (deploymentId: string, signer: typeof oldKey, seed: number) => {
        const before = cp.reports.length;
        await cp.publishDesired(cp.desired({ deploymentId, model: identityClassifier(10, seed), signer }));
        await cp.until(() => cp.reports.length > before, 20_000, `report for ${deploymentId}`);
        assert.equal(cp.reports.at(-1)!.outcome, 'activated', cp.reports.at(-1)!.failureReason);
      };
      await deploy('dep-old', oldKey, 1);

      // An outsider's set, signed by the outsider only: not taken.
      api.keys = [outsider];
      await new Promise((r) => setTimeout(r, 600));
      assert.deepEqual(await keyIds(), [oldKey.keyId]);

      api.keys = [oldKey, newKey]; // stage: both listed, both sign the list
      await eventually(async () => (await keyIds()).length === 2, 5000, 'both keys trusted');
      api.keys = [newKey, oldKey]; // activate: the new key signs desired states
      await deploy('dep-new', newKey, 2);

      api.keys = [newKey]; // retire
      await eventually(async () => (await keyIds()).length === 1, 5000, 'old key dropped');
      assert.deepEqual(await keyIds(), [newKey.keyId]);
      const stale = cp.desired({ deploymentId: 'dep-retired', model: identityClassifier(10, 3), signer: oldKey });
      await cp.publishDesired(stale);
      await cp.until(() => refused.includes('unknown-key'), 5000, 'retired key refused');
      assert.deepEqual(cp.requestedIndices(stale.artifact.sha256), []);

      // A restart reuses the stored credential: no second enrollment (the token may be used up).
      await agent.stop();
      agent = await start();
      await agent.ready;
      assert.equal(api.enrollments.length, 1);
      await deploy('dep-after-restart', newKey, 4);
    } finally {
      await agent?.stop();
      await cp.close();
      await api.close();
    }
  });
});
