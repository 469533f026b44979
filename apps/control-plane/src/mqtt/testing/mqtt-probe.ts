import mqtt, { type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';

/** A device-side MQTT client for tests: publishes, and waits for messages on a topic filter. */
export class MqttProbe {
  private readonly received: Array<{ topic: string; payload: Buffer; retain: boolean }> = [];
  private readonly listeners = new Set<() => void>();

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.received.push({ topic, payload, retain: packet.retain });
      for (const l of this.listeners) l();
    });
  }

  static async connect(url: string): Promise<MqttProbe> {
    return new MqttProbe(await mqtt.connectAsync(url, { clientId: `probe-${randomUUID().slice(0, 8)}`, reconnectPeriod: 0 }, false));
  }

  async subscribe(filter: string): Promise<void> {
    await this.client.subscribeAsync(filter, { qos: 1 });
  }

  async publish(topic: string, payload: string | Buffer, retain = false): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  /** Messages received so far whose topic satisfies `match`. */
  messages(match: (topic: string) => boolean): Array<{ topic: string; payload: Buffer; retain: boolean }> {
    return this.received.filter((m) => match(m.topic));
  }

  /** Resolves once `count` matching messages have arrived (counting those already received). */
  waitFor(match: (topic: string, payload: Buffer) => boolean, count = 1, timeoutMs = 5000): Promise<Array<{ topic: string; payload: Buffer; retain: boolean }>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hits = this.received.filter((m) => match(m.topic, m.payload));
        if (hits.length >= count) {
          cleanup();
          resolve(hits);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${count} message(s); got ${this.received.length} in total: ${this.received.map((m) => m.topic).join(', ')}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
