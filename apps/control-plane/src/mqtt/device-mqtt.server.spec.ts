import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { controlPlaneSubscriptions, topics } from '@edgefleet/contracts';
import { DeviceMqttServer } from './device-mqtt.server';

void describe('DeviceMqttServer.getHandlerByPattern', () => {
  for (const sharedGroup of [undefined, 'cp']) {
    void it(`finds each device topic's handler by its kind${sharedGroup ? ' (shared subscriptions)' : ''}, and leaves other topics to Nest`, () => {
      const server = new DeviceMqttServer({ url: 'mqtt://127.0.0.1:1', login: {}, sharedGroup });
      const handlers = new Map<string, () => Promise<void>>();
      for (const [name, filter] of Object.entries(controlPlaneSubscriptions)) {
        const h = async () => undefined;
        handlers.set(name, h);
        server.addHandler(filter, h, true);
      }
      const other = async () => undefined;
      server.addHandler('edgefleet/other/#', other, true);
      assert.equal(server.getHandlerByPattern(topics.progress('dev-1')), handlers.get('progress'));
      assert.equal(server.getHandlerByPattern(topics.report('dev-1')), handlers.get('report'));
      assert.equal(server.getHandlerByPattern(topics.blockRequest('dev-2')), handlers.get('blockRequest'));
      assert.equal(server.getHandlerByPattern(topics.hello('dev-2')), handlers.get('hello'));
      assert.equal(server.getHandlerByPattern('edgefleet/other/x'), other);
      assert.equal(server.getHandlerByPattern('nothing/here'), null);
    });
  }
});
