/**
 * The agent against the real Mosquitto at 127.0.0.1:1883, with the test playing the control plane
 * (testing/mini-control-plane.ts). Each test uses its own device id, so topics never collide.
 * Skipped when the broker is down, except under CI=true where that is a failure.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeEvalSet, generateSigningKeyPair } from '@edgefleet/contracts';
import { startAgent, type RunningAgent } from './agent';
import { silentLogger } from './lib/logger';
import { MiniControlPlane } from './testing/mini-control-plane';
import { identityClassifier, linearModel } from './testing/tiny-models';
import { BlockBitmap } from './transfer/block-bitmap';
import { SHARED_BROKER, sharedBrokerSkip, uniqueDeviceId } from './testing/test-env';

const BROKER = SHARED_BROKER;
const FAST_BENCH = { warmupRuns: 2, minRuns: 10, minTimeMs: 20, maxTimeMs: 500, evalBatch: 16 };
const deviceId = uniqueDeviceId;

function evalSetFor(classes: number, n: number): Buffer {
  // For the identity classifier, the label is the hot feature: accuracy must come out 1.
  const x = new Float32Array(n * classes);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % classes;
    x[i * classes + y[i]!] = 1;
  }
  return encodeEvalSet({ inputName: '', sampleShape: [classes], numClasses: classes, x, y, n });
}

describe('device agent over Mosquitto', async () => {
  const skip = await sharedBrokerSkip();
  let root: string;
  const cleanups: Array<() => Promise<void>> = [];
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'agent-it-'));
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await rm(root, { recursive: true, force: true });
  });

  async function setup(what: string, trust?: string[]): Promise<{ cp: MiniControlPlane; agent: RunningAgent; id: string; stateDir: string }> {
    const id = deviceId(what);
    const cp = await MiniControlPlane.connect(BROKER, id);
    const stateDir = join(root, id);
    const agent = await startAgent({ brokerUrl: BROKER, deviceId: id, stateDir, trustedKeys: trust, logger: silentLogger, profile: 'rpi4', benchmark: FAST_BENCH, retryBaseMs: 200 });
    cleanups.push(async () => {
      await agent.stop();
      await cp.close();
    });
    await agent.ready;
    return { cp, agent, id, stateDir };
  }

  it('downloads, verifies a signed desired state, benchmarks, reports and activates', { skip }, async (t) => {
    const keys = generateSigningKeyPair();
    const { cp, agent, stateDir } = await setup('happy', [keys.publicKeyPem]);
    await cp.until(() => cp.hellos.length > 0 && cp.statuses.some((s) => s.state === 'online'), 5000, 'hello + online');
    assert.equal(cp.hellos[0]!.profile.name, 'rpi4');
    // A 3.2 MB model: 50 blocks of 64 KiB through the broker.
    const model = linearModel({ inputs: 784, outputs: 1024 });
    const features = 784;
    const n = 64;
    const x = Float32Array.from({ length: n * features }, (_, i) => ((i * 7919) % 13) / 13);
    const y = Int32Array.from({ length: n }, (_, i) => i % 10);
    const evalBytes = encodeEvalSet({ inputName: '', sampleShape: [features], numClasses: 1024, x, y, n });
    const desired = cp.desired({ deploymentId: 'dep-1', model, evalSet: { bytes: evalBytes, samples: n }, gates: { maxLatencyP95Ms: 5000, minAccuracy: 0, maxMemoryMb: 1024 }, signer: keys });
    const t0 = Date.now();
    await cp.publishDesired(desired);
    await cp.until(() => cp.progress.some((p) => p.state === 'benchmarking'), 30_000, 'benchmarking');
    const transferMs = Date.now() - t0;
    await cp.until(() => cp.reports.length > 0, 30_000, 'report');
    const r = cp.reports[0]!;
    t.diagnostic(`transfer+verify of ${(model.length / 1e6).toFixed(2)} MB model + eval set: ${transferMs} ms (${((model.length + evalBytes.length) / 1e6 / (transferMs / 1000)).toFixed(1)} MB/s); total until report ${Date.now() - t0} ms; p95 ${r.latency?.p95Ms} ms simulated ×${r.slowdownFactor}`);
    assert.equal(r.outcome, 'activated', r.failureReason);
    assert.equal(r.deploymentId, 'dep-1');
    assert.equal(r.inputSource, 'eval-set');
    assert.equal(r.evalSamples, n);
    assert.equal(r.simulated, true);
    assert.ok(r.slowdownFactor! >= 1);
    assert.ok(r.latency!.p50Ms <= r.latency!.p95Ms && r.latency!.p95Ms <= r.latency!.p99Ms);
    assert.equal(r.gateResults.length, 3);
    assert.ok(r.gateResults.every((g) => g.passed));
    assert.deepEqual(cp.protocolErrors, []);
    assert.equal(agent.status().activeSha256, desired.artifact.sha256);
    // Every block was requested exactly once: no waste on a healthy link.
    assert.equal(cp.requestedIndices(desired.artifact.sha256).length, 50);
    const persisted = JSON.parse(await readFile(join(stateDir, 'state.json'), 'utf8')) as { active: { sha256: string } };
    assert.equal(persisted.active.sha256, desired.artifact.sha256);
    const stored = await readFile(join(stateDir, 'objects', desired.artifact.sha256));
    assert.ok(stored.equals(model));
  });

  it('ignores malformed desired payloads, refuses unsigned ones, keeps the previous model on a corrupted block and on failed gates', { skip }, async () => {
    const keys = generateSigningKeyPair();
    const { cp, agent } = await setup('faults', [keys.publicKeyPem]);
    const invalid: string[][] = [];
    agent.events.on('invalidDesired', (e) => invalid.push(e));
    await cp.publishDesired('{not json');
    await cp.publishDesired(JSON.stringify({ v: 1, deploymentId: 'x' }));
    await cp.until(() => invalid.length === 2, 5000, 'two invalid desired states');

    const v1 = identityClassifier(10);
    const good = cp.desired({ deploymentId: 'dep-v1', model: v1, evalSet: { bytes: evalSetFor(10, 40), samples: 40 }, gates: { minAccuracy: 0.99 }, signer: keys });
    await cp.publishDesired(good);
    await cp.until(() => cp.reports.length === 1, 20_000, 'v1 report');
    assert.equal(cp.reports[0]!.outcome, 'activated', cp.reports[0]!.failureReason);
    assert.equal(cp.reports[0]!.accuracy, 1);

    // Refused at the door: no report (its claims are not trustworthy), nothing fetched, v1 stays.
    const refused: string[] = [];
    agent.events.on('refusedDesired', (code) => refused.push(code));
    const unsigned = cp.desired({ deploymentId: 'dep-unsigned', model: identityClassifier(10, 1) });
    await cp.publishDesired(unsigned);
    await cp.until(() => refused.length === 1, 10_000, 'unsigned desired state refused');
    assert.deepEqual(refused, ['unsigned']);
    assert.equal(cp.requestedIndices(unsigned.artifact.sha256).length, 0, 'nothing fetched for an unsigned desired state');
    assert.equal(agent.status().desiredDeploymentId, 'dep-v1');

    const v2 = linearModel({ inputs: 10, outputs: 10, seed: 7 });
    const corrupted = cp.desired({ deploymentId: 'dep-v2', model: v2, signer: keys });
    cp.corrupt.add(`${corrupted.artifact.sha256}:0`);
    await cp.publishDesired(corrupted);
    await cp.until(() => cp.reports.length === 2, 10_000, 'corrupted report');
    assert.equal(cp.reports[1]!.outcome, 'failed');
    assert.match(cp.reports[1]!.failureReason!, /VerificationError/);
    assert.equal(cp.reports[1]!.previousSha256, good.artifact.sha256);
    assert.equal(agent.status().activeSha256, good.artifact.sha256);

    cp.corrupt.clear();
    const slow = cp.desired({ deploymentId: 'dep-v3', model: v2, gates: { maxLatencyP95Ms: 0.000001 }, signer: keys });
    await cp.publishDesired(slow);
    await cp.until(() => cp.reports.length === 3, 10_000, 'gated report');
    assert.equal(cp.reports[2]!.outcome, 'rejected');
    assert.equal(cp.reports[2]!.gateResults[0]!.passed, false);
    assert.equal(cp.reports[2]!.previousSha256, good.artifact.sha256);
    assert.equal(agent.status().activeSha256, good.artifact.sha256);
    assert.deepEqual(cp.protocolErrors, []);
  });

  it('resumes an interrupted transfer after the agent process is killed, requesting only missing blocks', { skip, timeout: 60_000 }, async () => {
    const id = deviceId('resume');
    const stateDir = join(root, id);
    const cp = await MiniControlPlane.connect(BROKER, id);
    const children: ChildProcess[] = [];
    cleanups.push(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await cp.close();
    });
    const keys = generateSigningKeyPair();
    const keyFile = join(root, `${id}-key.pem`);
    await writeFile(keyFile, keys.publicKeyPem);
    const profileFile = join(root, `${id}-profile.json`);
    await writeFile(profileFile, JSON.stringify({ name: 'sim', arch: 'arm64', cores: 1, ramMb: 1024, slowdown: 2 }));
    const spawnAgent = () => {
      const c = spawn(process.execPath, [join(__dirname, 'main.js'), '--broker', BROKER, '--device-id', id, '--state-dir', stateDir, '--trust-key', keyFile, '--profile', profileFile, '--log-level', 'warn', '--bench-min-runs', '5', '--bench-min-ms', '10', '--bench-max-ms', '300'], { stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(c);
      return c;
    };
    const model = linearModel({ inputs: 256, outputs: 1024, seed: 3 }); // 1 MB → 17 blocks
    const desired = cp.desired({ deploymentId: 'dep-resume', model, signer: keys });
    const sha = desired.artifact.sha256;
    const total = Math.ceil(model.length / cp.blockSize);
    cp.serveBudget = 6;
    await cp.publishDesired(desired);
    const first = spawnAgent();
    await cp.until(() => cp.servedBlocks === 6, 15_000, 'six blocks served');
    // Wait for the idle checkpoint to land on disk, then kill without mercy.
    const metaPath = join(stateDir, 'partial', `${sha}.json`);
    let saved: BlockBitmap | undefined;
    for (let i = 0; i < 50 && (saved?.count ?? 0) < 6; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const meta = JSON.parse(await readFile(metaPath, 'utf8').catch(() => '{}')) as { bitmap?: string; totalBlocks?: number };
      if (meta.bitmap) saved = BlockBitmap.fromBase64(meta.totalBlocks!, meta.bitmap);
    }
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    assert.ok(saved && saved.count === 6, `bitmap on disk before the kill: ${saved?.count}`);
    await cp.until(() => cp.statuses.at(-1)?.state === 'offline', 5000, 'the last will (offline)');

    const before = cp.requests.length;
    cp.serveBudget = Infinity;
    spawnAgent();
    await cp.until(() => cp.reports.length > 0, 30_000, 'report after resume');
    assert.equal(cp.reports[0]!.outcome, 'activated', cp.reports[0]!.failureReason);
    assert.equal(cp.reports[0]!.slowdownFactor, 2);
    const again = cp.requests.slice(before).filter((r) => r.sha256 === sha).flatMap((r) => Array.from({ length: r.count }, (_, i) => r.index + i));
    const missing = saved.missing();
    assert.equal(missing.length, total - 6);
    for (let i = 0; i < total; i++) {
      if (saved.has(i)) assert.ok(!again.includes(i), `block ${i} was already on disk but was requested again`);
      else assert.ok(again.includes(i), `missing block ${i} was never requested`);
    }
    assert.deepEqual(cp.protocolErrors, []);
  });

  it('keeps a report the control plane has not acknowledged in its outbox and resends it, also after a restart, until the ack', { skip, timeout: 60_000 }, async () => {
    const keys = generateSigningKeyPair();
    const id = deviceId('outbox');
    const stateDir = join(root, id);
    const cp = await MiniControlPlane.connect(BROKER, id);
    cp.ackMessages = false; // the control plane is down: messages reach the broker, nothing is stored
    const start = () => startAgent({
      brokerUrl: BROKER, deviceId: id, stateDir, trustedKeys: [keys.publicKeyPem], logger: silentLogger, profile: 'rpi4',
      benchmark: FAST_BENCH, retryBaseMs: 200, resend: { baseMs: 200, maxMs: 400 },
    });
    let agent = await start();
    cleanups.push(async () => {
      await agent.stop();
      await cp.close();
    });
    await agent.ready;
    const reported = agent.waitForReport(undefined, 20_000);
    await cp.publishDesired(cp.desired({ deploymentId: 'dep-outbox', model: identityClassifier(10), signer: keys }));
    const sent = await reported;
    assert.match(sent.msgId ?? '', /^[A-Za-z0-9_-]{8,64}$/, 'the report carries a message id');
    await cp.until(() => cp.unstored >= 3, 10_000, 'the unacknowledged report resent');
    assert.ok(agent.status().unacknowledged >= 1);

    await agent.stop();
    const outbox = await readdir(join(stateDir, 'outbox'));
    assert.ok(outbox.includes(`${sent.msgId}.json`), `the report is on disk after the stop: ${outbox.join(', ')}`);
    cp.ackMessages = true; // the control plane is back
    agent = await start();
    await agent.ready;
    await cp.until(() => cp.reports.length === 1, 10_000, 'the report stored after the restart');
    await cp.until(() => agent.status().unacknowledged === 0, 10_000, 'every message acknowledged');
    assert.equal(cp.reports[0]!.msgId, sent.msgId, 'the same message, not a new report');
    assert.equal(cp.reports[0]!.outcome, 'activated');
    // The ack counts at once; its file goes right after, in the outbox's queue of disk writes.
    await cp.until(() => readdirSync(join(stateDir, 'outbox')).length === 0, 5_000, 'the outbox is empty once acknowledged');
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(cp.reports.length, 1, 'nothing resent or redone after the ack');
    assert.deepEqual(cp.protocolErrors, []);
  });
});
