/**
 * Attacks on updates (TUF/Uptane classes) against real agent processes on the shared Mosquitto, the test playing
 * both the genuine control plane (MiniControlPlane with the trusted key) and the outsider who can publish on the
 * device's topic. Each attack asserts the agent refused it, fetched nothing for it and kept its model.
 * Run under the suite lock. Skipped when the broker is down, except under CI=true.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateSigningKeyPair, type DesiredStateMessage } from '@edgefleet/contracts';
import { AgentProcess } from './testing/agent-process';
import { MiniControlPlane } from './testing/mini-control-plane';
import { SHARED_BROKER, sharedBrokerSkip, uniqueDeviceId } from './testing/test-env';
import { identityClassifier, linearModel } from './testing/tiny-models';

const genuine = generateSigningKeyPair();
const outsider = generateSigningKeyPair();

describe('attacks on a device agent (real processes, shared Mosquitto)', async () => {
  const skip = await sharedBrokerSkip();
  let root: string;
  let keyFile: string;
  const cleanups: Array<() => Promise<void>> = [];
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'agent-attacks-'));
    keyFile = join(root, 'trusted.pem');
    await writeFile(keyFile, genuine.publicKeyPem);
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await rm(root, { recursive: true, force: true });
  });

  async function device(what: string) {
    const id = uniqueDeviceId(what);
    const stateDir = join(root, id);
    const cp = await MiniControlPlane.connect(SHARED_BROKER, id);
    const agents: AgentProcess[] = [];
    const start = (extra: string[] = []) => {
      const a = new AgentProcess(['--broker', SHARED_BROKER, '--device-id', id, '--state-dir', stateDir, '--trust-key', keyFile, '--profile', 'rpi4',
        '--bench-min-runs', '5', '--bench-min-ms', '10', '--bench-max-ms', '300', ...extra]);
      agents.push(a);
      return a;
    };
    cleanups.push(async () => {
      for (const a of agents) await a.stop('SIGKILL');
      await cp.close();
    });
    const active = async () => (JSON.parse(await readFile(join(stateDir, 'state.json'), 'utf8')) as { active?: { sha256: string } }).active?.sha256;
    const refusals = (a: AgentProcess, code: string) => a.output.split('\n').filter((l) => l.includes('refusing desired state') && l.includes(`code=${code}`)).length;
    return { id, stateDir, cp, start, active, refusals };
  }

  /** Publishes a genuine state and waits until the agent activated it. */
  async function deploy(cp: MiniControlPlane, deploymentId: string, model: Buffer): Promise<DesiredStateMessage> {
    const d = cp.desired({ deploymentId, model, signer: genuine });
    const before = cp.reports.length;
    await cp.publishDesired(d);
    await cp.until(() => cp.reports.length > before, 30_000, `report for ${deploymentId}`);
    assert.equal(cp.reports.at(-1)!.outcome, 'activated', cp.reports.at(-1)!.failureReason);
    return d;
  }

  it('refuses desired states from an outsider: unsigned, signed by an unknown key, tampered, too large', { skip, timeout: 60_000 }, async () => {
    const d = await device('outsider');
    const agent = d.start(['--max-object-mb', '1']);
    const v1 = await deploy(d.cp, 'dep-v1', identityClassifier(10));

    const unsigned = d.cp.desired({ deploymentId: 'evil-1', model: identityClassifier(10, 2) });
    await d.cp.publishDesired(unsigned);
    await agent.waitForLog(/refusing desired state code=unsigned/);

    const foreign = d.cp.desired({ deploymentId: 'evil-2', model: identityClassifier(10, 3), signer: outsider });
    await d.cp.publishDesired(foreign);
    await agent.waitForLog(/refusing desired state code=unknown-key/);

    // A genuine signature over other bytes: the outsider swaps the model.
    const genuineOther = d.cp.desired({ deploymentId: 'dep-v2', model: identityClassifier(10, 4), signer: genuine });
    const swapped = d.cp.desired({ deploymentId: 'x', model: linearModel({ inputs: 10, outputs: 10, seed: 9 }) });
    await d.cp.publishDesired({ ...genuineOther, artifact: swapped.artifact });
    await agent.waitForLog(/refusing desired state code=bad-signature/);

    // Endless data: a genuinely signed manifest larger than this device takes (2 MB > --max-object-mb 1).
    const big = d.cp.desired({ deploymentId: 'dep-big', model: linearModel({ inputs: 512, outputs: 1024 }), signer: genuine });
    await d.cp.publishDesired(big);
    await agent.waitForLog(/refusing desired state code=too-large/);

    for (const m of [unsigned, foreign, swapped, big]) assert.deepEqual(d.cp.requestedIndices(m.artifact.sha256), [], 'nothing fetched for a refused state');
    assert.equal(d.cp.reports.length, 1, 'no report for a refused state (its claims are not trustworthy)');
    assert.equal(await d.active(), v1.artifact.sha256);
    assert.ok(agent.alive);
  });

  it('refuses a genuine desired state of device A replayed to device B', { skip, timeout: 60_000 }, async () => {
    const b = await device('replay-b');
    const agent = b.start();
    // An agent process's start (Node + onnxruntime) is the wait here, and a busy host stretches it: the default 30 s.
    await b.cp.until(() => b.cp.hellos.length > 0, undefined, 'hello');
    const forA = b.cp.desired({ deploymentId: 'dep-a', model: identityClassifier(10, 5), signer: genuine, deviceId: uniqueDeviceId('replay-a') });
    await b.cp.publishDesired(forA);
    await agent.waitForLog(/refusing desired state code=other-device/);
    assert.deepEqual(b.cp.requestedIndices(forA.artifact.sha256), []);
    assert.equal(b.cp.reports.length, 0);
  });

  it('refuses an older model forced back after the history was flooded with junk, also after a restart (high-water mark on disk)', { skip, timeout: 90_000 }, async () => {
    const d = await device('rollback');
    let agent = d.start();
    const v1 = await deploy(d.cp, 'dep-v1', identityClassifier(10, 6));
    const v2 = await deploy(d.cp, 'dep-v2', identityClassifier(10, 7));
    // More junk than the bounded outcome history holds (100): unsigned states, garbage, a forged high seq.
    for (let i = 0; i < 130; i++) await d.cp.publishDesired(d.cp.desired({ deploymentId: `junk-${i}`, model: identityClassifier(10, 100 + (i % 3)) }));
    for (const g of ['{', '[]', 'null', '"x"']) await d.cp.publishDesired(g);
    await d.cp.publishDesired(d.cp.desired({ deploymentId: 'junk-high', model: identityClassifier(10, 8), seq: 1_000_000 }));
    await agent.waitForLog(/deploymentId=junk-high/);
    await d.cp.publishDesired(v1); // genuine signature, not expired, but older than v2
    await agent.waitForLog(/refusing desired state code=rollback/);
    assert.equal(await d.active(), v2.artifact.sha256);

    await agent.stop();
    agent = d.start(); // the retained message is still the replayed v1
    await agent.waitForLog(/refusing desired state code=rollback/);
    assert.equal(await d.active(), v2.artifact.sha256);
    assert.equal(d.cp.reports.filter((r) => r.deploymentId === 'dep-v1').length, 1, 'v1 was reported once, when it was new');

    // The operator's deliberate rollback is a new, higher seq: accepted.
    await deploy(d.cp, 'dep-v1-again', identityClassifier(10, 6));
    assert.equal(await d.active(), v1.artifact.sha256);
  });

  it('refuses an expired desired state (freeze)', { skip, timeout: 30_000 }, async () => {
    const d = await device('freeze');
    const agent = d.start();
    const stale = d.cp.desired({ deploymentId: 'dep-stale', model: identityClassifier(10, 9), signer: genuine, issuedAt: new Date(Date.now() - 2 * 3_600_000), validForMs: 3_600_000 });
    await d.cp.publishDesired(stale);
    await agent.waitForLog(/refusing desired state code=expired/);
    assert.deepEqual(d.cp.requestedIndices(stale.artifact.sha256), []);
    assert.equal(d.cp.reports.length, 0);
  });

  it('stays up with a 50,000-level nested retained desired message, and again after a restart', { skip, timeout: 60_000 }, async () => {
    const d = await device('nested');
    const depth = 50_000;
    // 100 kB of brackets: under the size limit, so the depth limit is what refuses it (before JSON.parse).
    await d.cp.publishDesired(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    let agent = d.start();
    await agent.waitForLog(/ignoring malformed desired state.*deeper than/);
    await d.cp.until(() => d.cp.statuses.some((s) => s.state === 'online'), undefined, 'online');
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(agent.alive, agent.output.slice(-2000));
    await agent.stop();
    agent = d.start();
    await agent.waitForLog(/ignoring malformed desired state.*deeper than/);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(agent.alive, agent.output.slice(-2000));
    // The object form of the same attack is 300 kB: refused by size.
    await d.cp.publishDesired(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
    await agent.waitForLog(/ignoring malformed desired state.*over the limit/);
    // And it still works: a genuine state replaces the poison.
    await deploy(d.cp, 'dep-after-poison', identityClassifier(10, 11));
    assert.ok(agent.alive);
  });
});
