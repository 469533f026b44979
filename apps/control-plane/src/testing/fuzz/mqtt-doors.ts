/**
 * One door per inbound MQTT topic of the device protocol. Inputs: valid messages of the fixture device mutated
 * field by field, any JSON, too deep, as large as the broker lets through (larger packets cut the connection at the
 * broker: broker-security.int.spec.ts), or not JSON. Each message is published by a real MQTT client
 * through the broker and the door waits for the runner to finish with it (eight in flight at a time). Property: the message is handled or
 * answered with a `rejected` reply whose reason is the input's fault — never "internal error", never an
 * exception escaping the runner.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { MAX_MQTT_PACKET_BYTES, topics } from '@edgefleet/contracts';
import type { DeviceMessageRunner } from '../../mqtt/device-message.runner';
import type { MqttPublisher } from '../../mqtt/mqtt-publisher.service';
import { deepJson, mutate, nastyValue } from './hostile';
import { registerDoors, type FuzzDoor, type Verdict } from './doors';

/** What the MQTT door family needs (`ctx.get('mqtt')`): a connected device-side client and the fixture's ids. */
export interface MqttFuzzTarget {
  client: MqttClient;
  runner: DeviceMessageRunner;
  publisher: MqttPublisher;
  deviceId: string;
  deploymentId: string;
  modelSha256: string;
}

type Outcome = { rejected?: string; escaped?: unknown };

/**
 * Watches the runner: resolves each handled message (matched by topic and payload, so several may be in flight),
 * records the rejection a run published (AsyncLocalStorage: concurrent runs do not mix them up), catches what
 * escapes.
 */
class RunnerProbe {
  private readonly waiting = new Map<string, Array<(o: Outcome) => void>>();
  private readonly current = new AsyncLocalStorage<Outcome>();

  constructor(t: MqttFuzzTarget) {
    const run = t.runner.run.bind(t.runner);
    t.runner.run = (async (...args: Parameters<DeviceMessageRunner['run']>) => {
      const outcome: Outcome = {};
      try {
        await this.current.run(outcome, () => run(...args));
      } catch (err) {
        outcome.escaped = err ?? 'undefined thrown';
      }
      const ctx = args[0];
      const key = keyOf(ctx.getTopic(), ctx.getPacket()['payload'] as Buffer | string);
      const queue = this.waiting.get(key);
      const resolve = queue?.shift();
      if (queue?.length === 0) this.waiting.delete(key);
      resolve?.(outcome);
    }) as DeviceMessageRunner['run'];
    const publishRejected = t.publisher.publishRejected.bind(t.publisher);
    t.publisher.publishRejected = async (deviceId, topic, reason) => {
      const outcome = this.current.getStore();
      if (outcome) outcome.rejected = reason;
      await publishRejected(deviceId, topic, reason);
    };
  }

  /** The outcome of the next run of this message (call before publishing it). */
  next(topic: string, payload: Buffer | string, timeoutMs = 30_000): Promise<Outcome> {
    const key = keyOf(topic, payload);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no outcome within ${timeoutMs} ms`)), timeoutMs);
      const queue = this.waiting.get(key) ?? [];
      queue.push((o) => {
        clearTimeout(timer);
        resolve(o);
      });
      this.waiting.set(key, queue);
    });
  }
}

const keyOf = (topic: string, payload: Buffer | string): string => createHash('sha256').update(topic).update('\0').update(payload).digest('hex');

registerDoors('mqtt', (ctx) => {
  const t = ctx.get<MqttFuzzTarget>('mqtt');
  const probe = new RunnerProbe(t);
  const { deviceId, deploymentId, modelSha256 } = t;
  const valid: Array<[string, string, Record<string, unknown>]> = [
    ['hello', topics.hello(deviceId), { v: 1, deviceId, agentVersion: '0.1.0', name: 'fuzz', tags: ['fuzz'], profile: { arch: 'arm64', cores: 4, ramMb: 1024 } }],
    ['status', topics.status(deviceId), { v: 1, state: 'online', at: new Date().toISOString() }],
    ['block-req', topics.blockRequest(deviceId), { v: 1, sha256: modelSha256, index: 0, count: 1 }],
    ['progress', topics.progress(deviceId), { v: 1, deploymentId, sha256: modelSha256, state: 'downloading', receivedBlocks: 1, totalBlocks: 1 }],
    ['report', topics.report(deviceId), {
      v: 1, deploymentId, artifactSha256: modelSha256, outcome: 'rejected', runs: 10, warmupRuns: 1, inputSource: 'synthetic',
      latency: { p50Ms: 1, p95Ms: 2, p99Ms: 3, meanMs: 1, minMs: 1, maxMs: 4 },
      gateResults: [{ gate: 'maxLatencyP95Ms', limit: 1, measured: 2, passed: false }], simulated: false, measuredAt: new Date().toISOString(),
    }],
  ];
  return valid.map(([kind, topic, message]): FuzzDoor => ({
    name: `MQTT ${kind}`,
    inputs: fc.oneof(
      { weight: 6, arbitrary: mutate(message).map((m) => JSON.stringify(m)) },
      { weight: 2, arbitrary: nastyValue.map((v) => JSON.stringify(v) ?? 'null') },
      { weight: 1, arbitrary: deepJson },
      { weight: 1, arbitrary: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 100 }).map((b) => Buffer.from(b)), fc.constant(Buffer.alloc(MAX_MQTT_PACKET_BYTES - 1024, 0x20))) },
    ),
    // Messages of one door in flight together (as a device's own messages can be): the broker round trips overlap.
    batch: 8,
    async send(payload): Promise<Verdict> {
      const outcome = probe.next(topic, payload as string | Buffer);
      await t.client.publishAsync(topic, payload as string | Buffer, { qos: 1 });
      const { rejected, escaped } = await outcome;
      const shown = String(payload).slice(0, 200);
      if (escaped !== undefined) throw new Error(`${kind}: an error escaped the runner (${String(escaped)}) for ${shown}`);
      if (rejected?.includes('internal error')) throw new Error(`${kind}: "${rejected}" for ${shown}`);
      return rejected === undefined ? 'accepted' : 'refused';
    },
  }));
});
