/**
 * The correlation id of device messages in the log: a real Nest microservice on Nest's MQTT transport, a real
 * Aedes broker in this process and a real MQTT client; the log is pino's JSON captured from a stream. (The
 * product's DeviceMqttServer is a subclass of the same transport; its controller carries the same interceptor,
 * checked below.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import 'reflect-metadata';
import { Controller, Logger, Module, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MqttContext, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { AppLogger, createRootLogger } from '@edgefleet/platform';
import { DeviceMessageCorrelation } from './device-message-correlation.interceptor';
import { DeviceMessagesController } from './device-messages.controller';

@Controller()
@UseInterceptors(DeviceMessageCorrelation)
class EchoController {
  private readonly log = new Logger('Echo');

  @EventPattern('test/echo')
  async echo(@Ctx() ctx: MqttContext): Promise<void> {
    this.log.log(`handling ${ctx.getTopic()}`);
    await sleep(5);
    this.log.warn('after an await');
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

interface Line { msg: string; correlationId?: string; context?: string }
const lines: Line[] = [];
let broker: Server;
let aedes: Aedes;
let app: Awaited<ReturnType<typeof NestFactory.createMicroservice>>;
let client: mqtt.MqttClient;

before(async () => {
  aedes = await Aedes.createBroker();
  broker = createServer(aedes.handle);
  await new Promise<void>((r) => broker.listen(0, '127.0.0.1', r));
  const url = `mqtt://127.0.0.1:${(broker.address() as AddressInfo).port}`;
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Line); done(); } });
  app = await NestFactory.createMicroservice<MicroserviceOptions>(EchoModule, {
    transport: Transport.MQTT, options: { url }, logger: new AppLogger(createRootLogger('log', 'json', sink)),
  });
  await app.listen();
  client = await mqtt.connectAsync(url);
});
after(async () => {
  await client?.endAsync();
  await app?.close();
  await new Promise<void>((r) => aedes.close(() => r()));
  await new Promise<void>((r) => broker.close(() => r()));
});

test('every line a message handler writes carries its msgId, else a fresh id per message; other lines none', async () => {
  new Logger('Outside').log('not in a handler');
  await client.publishAsync('test/echo', JSON.stringify({ msgId: 'm-0001', state: 'downloading' }), { qos: 1 });
  await client.publishAsync('test/echo', JSON.stringify({ state: 'no id' }), { qos: 1 });
  await client.publishAsync('test/echo', JSON.stringify({ msgId: 'bad id with spaces' }), { qos: 1 });
  const echo = () => lines.filter((l) => l.context === 'Echo');
  for (let i = 0; i < 100 && echo().length < 6; i++) await sleep(50);
  const byId = new Map<string, string[]>();
  for (const l of echo()) {
    assert.ok(l.correlationId, `a handler line without a correlation id: ${JSON.stringify(l)}`);
    byId.set(l.correlationId, [...(byId.get(l.correlationId) ?? []), l.msg]);
  }
  assert.equal(byId.size, 3, 'one id per message');
  assert.deepEqual(byId.get('m-0001'), ['handling test/echo', 'after an await'], 'the message id, also after an await');
  for (const [id, msgs] of byId) {
    if (id !== 'm-0001') assert.match(id, /^[0-9a-f-]{36}$/, 'a generated id when the message has none (or an unsafe one)');
    assert.equal(msgs.length, 2);
  }
  assert.equal(lines.find((l) => l.msg === 'not in a handler')?.correlationId, undefined);
});

test("the control plane's device-message controller runs every handler under this interceptor", () => {
  const interceptors = Reflect.getMetadata('__interceptors__', DeviceMessagesController) as unknown[];
  assert.ok(interceptors?.includes(DeviceMessageCorrelation));
});

test('telemetry, which DeviceMqttServer hands to the controller past Nest (telemetryDirect), is logged under one id per message too', async () => {
  const log = new Logger('Direct');
  const runner = { run: async () => { log.log('validating'); await sleep(5); log.log('stored'); } };
  const controller = new DeviceMessagesController(runner as never, undefined as never, undefined as never, undefined as never);
  const ctx = (payload: string) => new MqttContext(['edgefleet/v1/devices/d-1/telemetry', { payload: Buffer.from(payload) }]);
  await Promise.all([controller.telemetryDirect(ctx(JSON.stringify({ v: 1, windows: [] }))), controller.telemetryDirect(ctx(JSON.stringify({ v: 1, windows: [] })))]);
  const direct = lines.filter((l) => l.context === 'Direct');
  assert.equal(direct.length, 4);
  const ids = new Set(direct.map((l) => l.correlationId));
  assert.equal(ids.size, 2, 'one id per message, kept across the await');
  for (const id of ids) assert.match(id ?? '', /^[0-9a-f-]{36}$/);
});
