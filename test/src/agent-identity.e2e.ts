/**
 * The agent's identity options against the real control plane (embedded PGlite + the closed embedded Aedes) and
 * real agent processes:
 * - HTTPS enrollment with a private CA: the control plane's HTTP is put behind a small TLS front (node:tls,
 *   certificates made with the openssl CLI in the test); the agent given `--ca-file` enrolls through it, and
 *   refuses a front whose certificate another CA signed (or its own CA's front without `--ca-file`).
 * - `--credential-file`: a device created over REST starts from the file its answer was saved to (no
 *   enrollment), keeps the credential with mode 0600, and a wrong credential is refused by the broker.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { promisify } from 'node:util';
import { startControlPlane, type ControlPlane } from '@edgefleet/control-plane';
import { silentLogger } from '@edgefleet/device-agent';
import { enroll } from '@edgefleet/device-agent/dist/identity/enroll';
import { Api, enrollmentToken, startAgentProcess, waitFor, type AgentProcess } from './support';

const run = promisify(execFile);

/** A CA and a server certificate for 127.0.0.1 signed by it, in `dir`. */
async function pki(dir: string, name: string): Promise<{ ca: string; cert: string; key: string }> {
  const p = (f: string) => join(dir, `${name}-${f}`);
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '1', '-subj', `/CN=${name} test CA`]);
  await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=127.0.0.1']);
  await writeFile(p('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('server.pem'), '-days', '1', '-extfile', p('ext.cnf')]);
  return { ca: p('ca.pem'), cert: await readFile(p('server.pem'), 'utf8'), key: await readFile(p('server.key'), 'utf8') };
}

/** TLS in front of the control plane's plain HTTP port: what a reverse proxy with the operator's certificate does. */
async function tlsFront(cert: string, key: string, target: URL): Promise<{ server: Server; url: string }> {
  const server = createServer({ cert, key }, (tls) => {
    const plain = connect(Number(target.port), target.hostname);
    tls.pipe(plain).pipe(tls);
    tls.on('error', () => plain.destroy());
    plain.on('error', () => tls.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('agent identity: HTTPS enrollment with a private CA, --credential-file', { timeout: 240_000 }, () => {
  const id = randomBytes(3).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'edgefleet-identity-e2e-'));
  let cp: ControlPlane;
  let api: Api;
  let ours: { ca: string; front: string };
  let rogueFront: string;
  const servers: Server[] = [];
  const agents: AgentProcess[] = [];
  const deviceStatus = async (deviceId: string) => (await api.call('GET', `/devices/${deviceId}`)).body?.status as string | undefined;

  before(async () => {
    cp = await startControlPlane({
      PATH: process.env.PATH, DATA_DIR: join(dir, 'cp'), PORT: '0', MQTT_PORT: '0', ADMIN_API_KEY: `identity-e2e-${id}-0123456789`, LOG_LEVEL: 'error',
      AUTOPILOT_ENABLED: 'false', EMBEDDED_WORKER: 'false',
    });
    api = new Api(cp.apiUrl, cp.adminApiKey);
    const [good, rogue] = await Promise.all([pki(dir, 'ours'), pki(dir, 'rogue')]);
    const a = await tlsFront(good.cert, good.key, new URL(cp.httpUrl));
    const b = await tlsFront(rogue.cert, rogue.key, new URL(cp.httpUrl));
    servers.push(a.server, b.server);
    ours = { ca: good.ca, front: a.url };
    rogueFront = b.url;
  });

  after(async () => {
    await Promise.all(agents.map((a) => a.stop('SIGKILL')));
    for (const s of servers) s.close();
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('enrollment refuses an https server its --ca-file did not sign, and its own CA\'s server without --ca-file; the token stays unused', async () => {
    const token = await enrollmentToken(cp.apiUrl, cp.adminApiKey!, [`id-${id}`], 1);
    const ca = await readFile(ours.ca, 'utf8');
    const attempt = (apiUrl: string, withCa: string | undefined) =>
      enroll({ apiUrl, ca: withCa, token, deviceId: `idr-${id}`, agentVersion: '0.1.0', profile: { arch: 'x64', cores: 2, ramMb: 1024 } }, silentLogger, 1);
    await assert.rejects(attempt(rogueFront, ca), /certificate|self.signed|unable to verify/i);
    await assert.rejects(attempt(ours.front, undefined), /certificate|self.signed|unable to verify/i);
    const tokens = await api.ok('GET', '/enrollment-tokens');
    const row = (tokens as Array<{ uses: number; tags: string[] }>).find((t) => t.tags.includes(`id-${id}`))!;
    assert.equal(row.uses, 0, 'the refused servers never saw the token');
    assert.equal((await api.call('GET', `/devices/idr-${id}`)).status, 404);
  });

  test('an agent process with --ca-file enrolls over https through the TLS front, stores its credential 0600 and comes online', async () => {
    const token = await enrollmentToken(cp.apiUrl, cp.adminApiKey!, [`idh-${id}`], 1);
    const deviceId = `idh-${id}`;
    const stateDir = join(dir, 'agent-https');
    const agent = startAgentProcess({
      brokerUrl: cp.mqttUrl, deviceId, profile: 'gateway', stateDir, enroll: { token, httpUrl: ours.front }, extraArgs: ['--ca-file', ours.ca],
    });
    agents.push(agent);
    await waitFor('https-enrolled agent online', async () => (await deviceStatus(deviceId)) === 'online', 60_000)
      .catch((err: Error) => { throw new Error(`${err.message}\n${agent.output().slice(-3000)}`); });
    assert.match(agent.output(), /enrolled/);
    assert.equal((await stat(join(stateDir, 'credential.json'))).mode & 0o777, 0o600);
  });

  test('--credential-file: the REST answer\'s credential is used instead of enrolling, kept 0600; a wrong one is refused by the broker', async () => {
    const good = `idc-${id}`;
    const bad = `idx-${id}`;
    const created = await api.ok('POST', '/devices', { id: good, profile: { arch: 'x64', cores: 2, ramMb: 1024 } });
    await api.ok('POST', '/devices', { id: bad, profile: { arch: 'x64', cores: 2, ramMb: 1024 } });
    const goodFile = join(dir, 'good-credential.json');
    await writeFile(goodFile, JSON.stringify(created.credential), { mode: 0o600 });
    const badFile = join(dir, 'bad-credential.json');
    await writeFile(badFile, JSON.stringify({ username: bad, password: `efd_${randomBytes(32).toString('base64url')}` }), { mode: 0o600 });

    const stateDir = join(dir, 'agent-file');
    const agent = startAgentProcess({
      brokerUrl: cp.mqttUrl, deviceId: good, profile: 'gateway', stateDir, trustKeyPath: cp.signingPublicKeyPath, extraArgs: ['--credential-file', goodFile],
    });
    const wrong = startAgentProcess({
      brokerUrl: cp.mqttUrl, deviceId: bad, profile: 'gateway', stateDir: join(dir, 'agent-wrong'), trustKeyPath: cp.signingPublicKeyPath, extraArgs: ['--credential-file', badFile],
    });
    agents.push(agent, wrong);
    await waitFor('credential-file agent online', async () => (await deviceStatus(good)) === 'online', 60_000)
      .catch((err: Error) => { throw new Error(`${err.message}\n${agent.output().slice(-3000)}`); });
    assert.match(agent.output(), /identity=password/, 'started from the given credential, not by enrolling');
    assert.doesNotMatch(agent.output(), /enrolled/);
    const stored = JSON.parse(await readFile(join(stateDir, 'credential.json'), 'utf8')) as { password: string };
    assert.equal(stored.password, (created.credential as { password: string }).password);
    assert.equal((await stat(join(stateDir, 'credential.json'))).mode & 0o777, 0o600);
    // The wrong credential: the broker refuses the login (the agent says so), and the device never comes online.
    await waitFor('the broker refusing the wrong credential', async () => /Bad username or password|Not authorized/i.test(wrong.output()), 60_000)
      .catch((err: Error) => { throw new Error(`${err.message}\n${wrong.output().slice(-3000)}`); });
    assert.notEqual(await deviceStatus(bad), 'online');
  });
});
