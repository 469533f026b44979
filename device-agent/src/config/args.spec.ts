import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentConfigError } from '../lib/errors';
import { parseCliArgs } from './args';

describe('parseCliArgs', () => {
  it('parses a full command line', () => {
    const c = parseCliArgs(['--broker', 'mqtt://127.0.0.1:1883', '--device-id', 'pi-7', '--profile', 'rpi4', '--tags', 'lab, eu', '--name', 'Pi', '--bench-min-runs', '10', '--bench-max-runs', '20000']);
    assert.equal(c.agent.deviceId, 'pi-7');
    assert.equal(c.agent.profile, 'rpi4');
    assert.deepEqual(c.agent.tags, ['lab', 'eu']);
    assert.equal(c.agent.benchmark?.minRuns, 10);
    assert.equal(c.agent.benchmark?.maxRuns, 20000);
    assert.equal(c.agent.benchmarkLock, undefined);
    assert.equal(parseCliArgs(['--broker', 'mqtt://h:1', '--device-id', 'd', '--bench-lock', '/tmp/host.lock']).agent.benchmarkLock, '/tmp/host.lock');
  });
  it('parses identity and trust flags', () => {
    const base = ['--broker', 'mqtt://h:1', '--device-id', 'd'];
    const e = parseCliArgs([...base, '--enroll-token', 'tok', '--api-url', 'http://127.0.0.1:8080', '--max-object-mb', '16']).agent;
    assert.equal(e.enrollToken, 'tok');
    assert.equal(e.apiUrl, 'http://127.0.0.1:8080');
    assert.equal(e.maxObjectBytes, 16 * 1024 * 1024);
    assert.equal(e.insecureNoSignature, undefined, 'signatures are checked unless the opt-out is given');
    assert.equal(parseCliArgs([...base, '--insecure-no-signature']).agent.insecureNoSignature, true);
    assert.equal(parseCliArgs([...base, '--password', 's3cret']).agent.password, 's3cret');
  });

  it('lists every problem at once', () => {
    assert.throws(
      () => parseCliArgs(['--broker', 'http://x', '--device-id', 'a b', '--trust-key', '/nope.pem', '--log-level', 'loud']),
      (e: unknown) => e instanceof AgentConfigError && e.problems.length === 4,
    );
    assert.throws(() => parseCliArgs(['--frobnicate']), AgentConfigError);
    assert.throws(
      () => parseCliArgs(['--broker', 'mqtt://h:1', '--device-id', 'd', '--enroll-token', 't', '--password', 'p', '--api-url', 'ftp://x']),
      (e: unknown) => e instanceof AgentConfigError && e.problems.length === 2,
    );
    assert.throws(() => parseCliArgs(['--broker', 'mqtt://h:1', '--device-id', 'd', '--enroll-token', 't']), /--enroll-token needs --api-url/);
    assert.throws(() => parseCliArgs([]), (e: unknown) => e instanceof AgentConfigError && e.problems.length === 2);
  });
});
