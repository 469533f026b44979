import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { PacketSizeGuard, PacketTooLargeError } from './packet-size-guard';

async function through(limit: number, bytes: Buffer[]): Promise<{ passed: Buffer; error?: Error }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  client.on('error', () => undefined);
  const [socket] = await accepted;
  const guard = new PacketSizeGuard(socket, limit);
  const chunks: Buffer[] = [];
  let error: Error | undefined;
  guard.on('data', (c: Buffer) => chunks.push(c));
  guard.on('error', (e) => { error = e; });
  for (const b of bytes) client.write(b);
  client.end();
  await new Promise((r) => guard.once('close', r));
  server.close();
  return { passed: Buffer.concat(chunks), error };
}

/** A QoS 0 PUBLISH on topic "t" (MQTT 3.1.1 framing, written out so the test does not trust the code under test). */
function publish(size: number): Buffer {
  const body = Buffer.concat([Buffer.from([0, 1, 0x74]), Buffer.alloc(size)]);
  const len: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    len.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x30, ...len]), body]);
}

test('packets within the limit pass unchanged, split anywhere', async () => {
  const bytes = Buffer.concat([publish(10), publish(1000), publish(0)]);
  const split = [bytes.subarray(0, 1), bytes.subarray(1, 3), bytes.subarray(3, 700), bytes.subarray(700)];
  const { passed, error } = await through(2048, split);
  assert.equal(error, undefined);
  assert.ok(passed.equals(bytes));
});

test('a packet announcing more than the limit is cut at its header', async () => {
  const big = publish(100_000);
  const { passed, error } = await through(4096, [publish(5), big.subarray(0, 8)]);
  assert.ok(error instanceof PacketTooLargeError, String(error));
  assert.ok(passed.length <= publish(5).length);
});
