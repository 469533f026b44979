import type { ConsumerDeserializer, IncomingEvent } from '@nestjs/microservices';

/**
 * Nest's MQTT transport expects its own envelope `{ pattern, data, id }`. Devices publish the contract's plain
 * JSON instead, so every inbound message becomes an event (no `id`: nothing is replied on `<topic>/reply`)
 * routed by its topic. Handlers read and validate the untouched payload bytes from the MqttContext; `data` is
 * the payload as text (DeviceMqttServer skips Nest's JSON parse).
 */
export class RawDeviceDeserializer implements ConsumerDeserializer {
  deserialize(value: unknown, options?: Record<string, unknown>): IncomingEvent {
    const channel = options?.['channel'];
    return { pattern: typeof channel === 'string' ? channel : '', data: value };
  }
}
