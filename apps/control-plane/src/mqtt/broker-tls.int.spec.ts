/**
 * The embedded broker over TLS (mqtts://) with optional mutual TLS, on the whole control plane. The test makes
 * its own CA, server and client certificates with the openssl CLI.
 */
import { after, before, describe, it as test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { startControlPlane, type ControlPlane } from '../bootstrap';
import { ApiClient, profile } from '../testing/factories';

const run = promisify(execFile);
const ADMIN = 'broker-tls-admin-key-0123456789';

/** A CA and certificates it signs; `cn` is the subject CN (a device id for client certificates). */
async function makePki(dir: string): Promise<{ issue(name: string, cn: string, san?: string): Promise<{ cert: string; key: string }>; ca: string }> {
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', ca, '-days', '1', '-subj', '/CN=edgefleet-test-ca']);
  return {
    ca,
    async issue(name, cn, san) {
      const key = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const cert = join(dir, `${name}.pem`);
      const ext = join(dir, `${name}.ext`);
      await writeFile(ext, san ? `subjectAltName=${san}\n` : 'basicConstraints=CA:FALSE\n');
      await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
      await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', ext]);
      return { cert, key };
    },
  };
}

describe('embedded broker over TLS with optional client certificates', () => {
  let dir: string;
  let cp: ControlPlane;
  let ca: string;
  let otherCa: string;
  const certs: Record<string, { cert: string; key: string }> = {};
  let password = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgefleet-tls-'));
    const pki = await makePki(join(dir));
    ca = await readFile(pki.ca, 'utf8');
    const server = await pki.issue('server', '127.0.0.1', 'IP:127.0.0.1');
    certs['dev'] = await pki.issue('tls-dev-1', 'tls-dev-1');
    certs['other'] = await pki.issue('tls-dev-2', 'tls-dev-2');
    const rogueDir = await mkdtemp(join(tmpdir(), 'edgefleet-tls-rogue-'));
    const rogue = await makePki(rogueDir);
    otherCa = await readFile(rogue.ca, 'utf8');
    certs['rogue'] = await rogue.issue('tls-dev-1', 'tls-dev-1');
    cp = await startControlPlane({
      DATA_DIR: join(dir, 'data'), PORT: '0', MQTT_PORT: '0', ADMIN_API_KEY: ADMIN, LOG_LEVEL: 'error',
      MQTT_TLS_CERT: server.cert, MQTT_TLS_KEY: server.key, MQTT_TLS_CA: pki.ca, MQTT_TLS_CLIENT_CA: pki.ca,
    });
    const api = new ApiClient(cp.httpUrl, ADMIN);
    const res = await api.post('/api/v1/devices', { id: 'tls-dev-1', profile: profile() });
    assert.equal(res.status, 201);
    password = res.body.credential.password;
    assert.equal((await api.post('/api/v1/devices', { id: 'tls-dev-2', profile: profile() })).status, 201);
  }, { timeout: 180_000 });

  after(async () => {
    await cp?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const attempt = async (url: string, opts: mqtt.IClientOptions): Promise<'connected' | string> => {
    try {
      const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 4000, ...opts }, false);
      await c.endAsync(true);
      return 'connected';
    } catch (err) {
      return (err as Error).message || 'refused';
    }
  };

  void test('the broker URL is mqtts:// and a device logs in over TLS with its password', async () => {
    assert.match(cp.mqttUrl, /^mqtts:\/\//);
    assert.equal(await attempt(cp.mqttUrl, { ca, clientId: 'tls-dev-1', username: 'tls-dev-1', password }), 'connected');
  });

  void test('plain MQTT and an untrusted server certificate do not connect', async () => {
    assert.notEqual(await attempt(cp.mqttUrl.replace('mqtts://', 'mqtt://'), { clientId: 'tls-dev-1', username: 'tls-dev-1', password, connectTimeout: 2000 }), 'connected');
    assert.match(await attempt(cp.mqttUrl, { ca: otherCa, clientId: 'tls-dev-1', username: 'tls-dev-1', password }), /certificate|self.signed|verify/i);
  });

  void test('mutual TLS: a certificate whose CN is the client id logs the device in without a password', async () => {
    const { cert, key } = certs['dev']!;
    const tls = { ca, cert: await readFile(cert), key: await readFile(key) };
    assert.equal(await attempt(cp.mqttUrl, { ...tls, clientId: 'tls-dev-1' }), 'connected');
  });

  void test('mutual TLS: another device\'s certificate, or one from another CA, does not', async () => {
    const other = certs['other']!;
    assert.notEqual(await attempt(cp.mqttUrl, { ca, cert: await readFile(other.cert), key: await readFile(other.key), clientId: 'tls-dev-1' }), 'connected');
    const rogue = certs['rogue']!;
    assert.notEqual(await attempt(cp.mqttUrl, { ca, cert: await readFile(rogue.cert), key: await readFile(rogue.key), clientId: 'tls-dev-1' }), 'connected');
    assert.notEqual(await attempt(cp.mqttUrl, { ca, clientId: 'tls-dev-1' }), 'connected');
  });
});
