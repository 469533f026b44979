/**
 * Child process of `npm run bench -- api`: serves HTTP so the load generator (autocannon, in the parent) never
 * shares an event loop with the server it measures.
 *
 *   node api-server.js cp     starts the control plane (env: DATABASE_URL or DATA_DIR, ADMIN_API_KEY), seeds it
 *                             and sends { url, key, ids } to the parent
 *   node api-server.js bare   a bare Fastify that answers each route the parent sends ({ routes }) with the
 *                             exact bytes the control plane gave for it
 *
 * Either exits when the parent sends { stop: true } (so `--cpu-prof` gets to write its profile).
 */
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { startControlPlane } from '@edgefleet/control-plane';
import { ApiClient, deviceBody, evalSetFor, profile, tinyClassifier } from '@edgefleet/control-plane/dist/testing/factories';

export interface Seeded {
  url: string;
  key: string;
  deviceId: string;
  deploymentId: string;
  artifactId: string;
}

/** A route the bare server answers with recorded bytes. */
export interface RecordedRoute {
  method: string;
  url: string;
  status: number;
  contentType: string;
  body: string;
}

export const FLEET_TAG = 'bench-fleet';
export const FLEET_SIZE = 100;
const MODELS = 10;
const DEPLOYMENTS = 20;

type Message = { stop?: true; routes?: RecordedRoute[]; cpu?: true };

/** CPU time (user + system, µs) this process has used: the parent asks before and after each load. */
function answerCpu(m: Message): void {
  if (m.cpu) {
    const { user, system } = process.cpuUsage();
    send({ cpuMicros: user + system });
  }
}

function send(msg: unknown): void {
  process.send!(msg);
}

async function controlPlane(): Promise<void> {
  const cp = await startControlPlane({
    PORT: '0',
    MQTT_PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: process.env.DATA_DIR!,
    ADMIN_API_KEY: process.env.ADMIN_API_KEY!,
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    EMBEDDED_WORKER: 'false',
    AUTOPILOT_ENABLED: 'false',
    LOG_LEVEL: 'error',
    // The limiter stays on (its cost is part of the measurement) but must not refuse the load generator.
    RATE_LIMIT_MAX: '1000000000',
  });
  const api = new ApiClient(cp.httpUrl, process.env.ADMIN_API_KEY!);
  const must = <T extends { status: number; body: unknown }>(what: string, res: T, status: number): T => {
    if (res.status !== status) throw new Error(`seeding: ${what} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res;
  };
  for (let i = 0; i < FLEET_SIZE; i++) {
    must('device create', await api.post('/api/v1/devices', deviceBody({ id: `fleet-${i}`, tags: [FLEET_TAG, `row-${i % 10}`], profile: profile({ ramMb: 1024 * (1 + (i % 4)) }) })), 201);
  }
  let artifactId = '';
  for (let i = 0; i < MODELS; i++) {
    const res = must('model upload', await api.uploadModel({ name: `bench-${i}`, version: '1.0.0', family: 'bench' }, tinyClassifier(4, 3, i + 1), evalSetFor()), 201);
    artifactId = (res.body as { id: string }).id;
  }
  let deploymentId = '';
  for (let i = 0; i < DEPLOYMENTS; i++) {
    const res = must('deployment create', await api.post('/api/v1/deployments', { artifactId, tags: [FLEET_TAG] }), 201);
    deploymentId = (res.body as { id: string }).id;
  }
  const seeded: Seeded = { url: cp.httpUrl, key: process.env.ADMIN_API_KEY!, deviceId: 'fleet-42', deploymentId, artifactId };
  process.on('message', (m: Message) => {
    answerCpu(m);
    if (m.stop) void cp.close().finally(() => process.exit(0));
  });
  send({ ready: seeded });
}

async function bare(): Promise<void> {
  const routes = await new Promise<RecordedRoute[]>((resolve) => process.once('message', (m: Message) => resolve(m.routes ?? [])));
  const app = Fastify({ logger: false });
  // Each route answers its recorded bytes: the framework's floor for the same response, nothing of ours.
  for (const r of routes) {
    app.route({ method: r.method as 'GET', url: r.url, handler: (_req, reply) => reply.code(r.status).header('content-type', r.contentType).send(r.body) });
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  process.on('message', (m: Message) => {
    answerCpu(m);
    if (m.stop) void app.close().finally(() => process.exit(0));
  });
  send({ ready: { url: `http://127.0.0.1:${port}` } });
}

const mode = process.argv[2];
// Also imported by api.ts for its types and constants: only run as the forked child.
if (require.main === module) (mode === 'cp' ? controlPlane() : mode === 'bare' ? bare() : Promise.reject(new Error(`unknown mode ${mode}`))).catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
