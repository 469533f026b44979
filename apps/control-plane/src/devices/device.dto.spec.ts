import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { formatValidationErrors, HelloMessage, validateAs } from '@edgefleet/contracts';
import { CreateDeviceDto, ListDevicesQueryDto, UpdateDeviceDto } from './device.dto';

/** The global ValidationPipe's settings, applied to a plain object. */
async function problems<T extends object>(cls: new () => T, raw: object): Promise<string[]> {
  const value = plainToInstance(cls, raw);
  return formatValidationErrors(await validate(value, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }));
}

const good = { id: 'pi-1', tags: ['lab'], profile: { arch: 'arm64', cores: 4, ramMb: 4096 } };

test('a valid device body passes', async () => {
  assert.deepEqual(await problems(CreateDeviceDto, good), []);
});

test('the profile is checked by the shared HardwareProfile rules (the MQTT hello uses the same)', async () => {
  const p = await problems(CreateDeviceDto, { ...good, profile: { arch: 'sparc', cores: 0, ramMb: 4096, slowdown: 0.5 } });
  assert.ok(p.some((m) => m.startsWith('profile.arch')), p.join('\n'));
  assert.ok(p.some((m) => m.startsWith('profile.cores')), p.join('\n'));
  assert.ok(p.some((m) => m.startsWith('profile.slowdown')), p.join('\n'));
});

test('ids and tags must be topic-safe; unknown fields are refused at every level', async () => {
  const p = await problems(CreateDeviceDto, { ...good, id: 'a/b', tags: ['ok', 'not ok'], owner: 'me', profile: { ...good.profile, gpu: 1 } });
  for (const needle of ['id must be', 'each tag', 'owner should not exist', 'gpu should not exist']) {
    assert.ok(p.some((m) => m.includes(needle)), `${needle} in:\n${p.join('\n')}`);
  }
});

test('a missing profile is an error; in an update every field is optional', async () => {
  assert.ok((await problems(CreateDeviceDto, { id: 'x' })).some((m) => m.startsWith('profile')));
  assert.deepEqual(await problems(UpdateDeviceDto, {}), []);
  assert.ok((await problems(UpdateDeviceDto, { name: '' })).length > 0);
});

test('query strings are converted and bounded', async () => {
  const q = plainToInstance(ListDevicesQueryDto, { limit: '20', offset: '40', status: 'online' });
  assert.equal(q.limit, 20);
  assert.equal(q.offset, 40);
  assert.deepEqual(await problems(ListDevicesQueryDto, { limit: '20' }), []);
  assert.ok((await problems(ListDevicesQueryDto, { limit: '501' })).length > 0);
  assert.ok((await problems(ListDevicesQueryDto, { status: 'lost' })).length > 0);
  const defaults = plainToInstance(ListDevicesQueryDto, {});
  assert.equal(defaults.limit, 50);
  assert.equal(defaults.offset, 0);
});

test('one set of rules for a device: REST create/update and the MQTT hello refuse the same names and tags', async () => {
  const hello = { v: 1, deviceId: 'pi-1', agentVersion: '1', profile: good.profile };
  const cases: Array<[string, { name?: string; tags?: string[] }, boolean]> = [
    ['empty tag', { tags: [''] }, false],
    ['emoji tag', { tags: ['🔥'] }, false],
    ['tag with a space', { tags: ['a b'] }, false],
    ['tag with a control character', { tags: ['a\u0007'] }, false],
    ['33 tags', { tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }, false],
    ['empty name', { name: '' }, false],
    ['name with a newline', { name: 'a\nb' }, false],
    ['name with a C1 control character', { name: 'a\u0085b' }, false],
    ['name with a line separator', { name: 'a\u2028b' }, false],
    ['name of 129 characters', { name: 'x'.repeat(129) }, false],
    ['emoji name', { name: 'kitchen 🍳' }, true],
    ['plain tags', { tags: ['site-a', 'cam:1'] }, true],
  ];
  for (const [what, fields, ok] of cases) {
    const verdicts = {
      hello: validateAs(HelloMessage, { ...hello, ...fields }).ok,
      create: (await problems(CreateDeviceDto, { ...good, ...fields })).length === 0,
      update: (await problems(UpdateDeviceDto, fields)).length === 0,
    };
    assert.deepEqual(verdicts, { hello: ok, create: ok, update: ok }, what);
  }
});
