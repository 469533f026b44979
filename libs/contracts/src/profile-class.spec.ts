import { test } from 'node:test';
import assert from 'node:assert/strict';
import { profileClassOf } from './profile-class';
import type { HardwareProfile } from './profile';

const rpi4 = (over: Partial<HardwareProfile> = {}): HardwareProfile =>
  ({ name: 'rpi4', arch: 'arm64', cores: 4, clockMhz: 1500, simd: ['neon'], ramMb: 4096, ...over });

test('profileClassOf is a 16-hex-digit id, stable across calls', () => {
  const a = profileClassOf(rpi4());
  assert.match(a, /^[0-9a-f]{16}$/);
  assert.equal(profileClassOf(rpi4()), a);
});

test('profileClassOf ignores fields that do not define the class', () => {
  const base = profileClassOf(rpi4());
  assert.equal(profileClassOf(rpi4({ storageMb: 32_000, latencyBudgetMs: 20, slowdown: 3 })), base);
});

test('profileClassOf normalises SIMD order/case and the default accelerator', () => {
  const a = profileClassOf(rpi4({ simd: ['neon', 'dotprod'] }));
  assert.equal(profileClassOf(rpi4({ simd: ['DotProd', 'neon', 'neon'] })), a);
  assert.equal(profileClassOf(rpi4({ accelerator: 'none' })), profileClassOf(rpi4()));
  assert.equal(profileClassOf(rpi4({ simd: [] })), profileClassOf(rpi4({ simd: undefined })));
});

test('profileClassOf separates devices that differ in a class-defining field', () => {
  const base = profileClassOf(rpi4());
  const variants: Partial<HardwareProfile>[] = [
    { arch: 'x64' }, { cores: 2 }, { clockMhz: 1800 }, { simd: ['neon', 'dotprod'] }, { ramMb: 2048 },
    { accelerator: 'npu' }, { name: 'rpi4-8g' }, { name: undefined },
  ];
  const ids = variants.map((v) => profileClassOf(rpi4(v)));
  for (const id of ids) assert.notEqual(id, base);
  assert.equal(new Set(ids).size, ids.length);
});
