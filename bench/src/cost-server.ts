/**
 * Child process of `npm run bench -- cost`: starts the control plane of the source tree given as argv[2] (its
 * built apps/control-plane/dist), seeds 100 devices over REST and sends { url } to the parent; stops on
 * { stop: true }. Only APIs both trees have are used (startControlPlane, POST /api/v1/devices).
 */
import { join, resolve } from 'node:path';

interface StartedControlPlane { httpUrl: string; close(): Promise<void> }
type Start = (env: Record<string, string | undefined>) => Promise<StartedControlPlane>;

async function main(): Promise<void> {
  const tree = resolve(process.argv[2]!);
  const { startControlPlane } = require(join(tree, 'apps/control-plane/dist/index.js')) as { startControlPlane: Start };
  const key = process.argv[3]!;
  const cp = await startControlPlane({
    PATH: process.env['PATH'], PORT: '0', MQTT_PORT: '0', HOST: '127.0.0.1', DATA_DIR: process.argv[4]!, ADMIN_API_KEY: key,
    EMBEDDED_WORKER: 'false', AUTOPILOT_ENABLED: 'false', LOG_LEVEL: 'error',
    // Both trees: the limiter (where it exists) stays on but must not refuse the load generator.
    RATE_LIMIT_MAX: '1000000000',
  });
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${cp.httpUrl}/api/v1/devices`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: `cost-${i}`, tags: ['cost'], profile: { name: 'rpi4', arch: 'arm64', cores: 4, clockMhz: 1500, simd: ['neon'], ramMb: 4096 } }),
    });
    if (res.status !== 201) throw new Error(`seeding: POST /devices answered ${res.status}: ${await res.text()}`);
  }
  process.on('message', (m: { stop?: true }) => {
    if (m.stop) void cp.close().finally(() => process.exit(0));
  });
  process.send!({ ready: { url: cp.httpUrl } });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
