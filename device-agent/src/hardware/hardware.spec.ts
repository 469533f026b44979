import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AgentConfigError } from '../lib/errors';
import { detectHost, parseSimdFlags, type HostHardware } from './detect';
import { PROFILE_PRESETS, resolveProfile } from './profiles';
import { computeSlowdown, simdLanes } from './slowdown';

const host: HostHardware = { arch: 'x64', cores: 2, clockMhz: 2600, ramMb: 8192, simd: ['avx2', 'avx512'] };

describe('hardware detection', () => {
  it('normalises x86 and ARM cpuinfo flags', () => {
    assert.deepEqual(parseSimdFlags('flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512_vnni\n'), ['sse4.2', 'avx', 'avx2', 'fma', 'avx512', 'vnni']);
    assert.deepEqual(parseSimdFlags('Features\t: fp asimd asimddp sve\n'), ['neon', 'dotprod', 'sve']);
    assert.deepEqual(parseSimdFlags(''), []);
  });
  it('detects this machine', () => {
    const h = detectHost();
    assert.ok(h.cores >= 1 && h.ramMb > 0);
  });
});

describe('slowdown', () => {
  it('is 1 on the host and for gateway (explicit)', () => {
    assert.equal(computeSlowdown(host, PROFILE_PRESETS.gateway!, false).factor, 1);
    assert.equal(computeSlowdown(host, PROFILE_PRESETS.gateway!, true).source, 'host');
  });
  it('derives rpi4 from cores × MHz × SIMD lanes', () => {
    // host: min(2, 4) threads × 2600 × 16 lanes = 83200; rpi4: 4 × 1500 × 4 = 24000 → 3.47
    const r = computeSlowdown(host, PROFILE_PRESETS.rpi4!, false);
    assert.equal(r.source, 'derived');
    assert.equal(r.factor, 3.47);
  });
  it('makes the tiny profiles much slower and never goes below 1', () => {
    // 1 thread × 2600 × 16 / (1 × 600 × 1) = 69.33
    assert.equal(computeSlowdown(host, PROFILE_PRESETS['mcu-lite']!, false).factor, 69.33);
    assert.equal(computeSlowdown(host, { arch: 'x64', cores: 64, clockMhz: 5000, simd: ['avx512'], ramMb: 1 }, false).factor, 1);
    assert.equal(simdLanes('arm', []), 1);
  });
});

describe('resolveProfile', () => {
  it('resolves presets, host and JSON files, and lists problems of bad ones', async () => {
    assert.equal((await resolveProfile('tight', host)).profile.ramMb, 512);
    assert.equal((await resolveProfile(undefined, host)).isHost, true);
    const d = await mkdtemp(join(tmpdir(), 'profile-'));
    try {
      await writeFile(join(d, 'ok.json'), JSON.stringify({ name: 'jetson', arch: 'arm64', cores: 6, ramMb: 8192 }));
      assert.equal((await resolveProfile(join(d, 'ok.json'), host)).profile.name, 'jetson');
      await writeFile(join(d, 'bad.json'), JSON.stringify({ arch: 'sparc', cores: 0 }));
      await assert.rejects(resolveProfile(join(d, 'bad.json'), host), (e: unknown) => e instanceof AgentConfigError && e.problems.length >= 3);
      await assert.rejects(resolveProfile('raspberry', host), AgentConfigError);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});
