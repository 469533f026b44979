import { connect } from 'node:net';

/**
 * The brokers the integration tests run against: the embedded Aedes, and the real Mosquitto of the CI
 * machine (MQTT_URL, default mqtt://127.0.0.1:1883). Read here, in one place, like a config module would.
 */
export interface TestBroker {
  name: string;
  /** undefined = embedded Aedes on a free port. */
  mqttUrl?: string;
}

export function testBrokers(): TestBroker[] {
  const url = process.env['MQTT_URL'] ?? 'mqtt://127.0.0.1:1883';
  return [{ name: 'embedded Aedes' }, { name: `external broker ${url}`, mqttUrl: url }];
}

/**
 * Why the tests on this broker must be skipped (it is down and we are not in CI), or undefined to run them.
 * In CI (CI=true) a down broker throws: the tests must fail, not silently skip.
 */
export async function skipReason(broker: TestBroker): Promise<string | undefined> {
  if (!broker.mqttUrl || (await reachable(broker.mqttUrl))) return undefined;
  const reason = `no MQTT broker at ${broker.mqttUrl}`;
  if (process.env['CI'] === 'true') throw new Error(`${reason}, and CI=true requires it`);
  return `${reason} (set CI=true to make this a failure)`;
}

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 1883) });
    socket.setTimeout(1000);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}
