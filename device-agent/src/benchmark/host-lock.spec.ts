import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startAgent } from '../agent';
import { AbortedError, AgentConfigError } from '../lib/errors';
import { withHostLock } from './host-lock';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-hostlock-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('withHostLock: simulated agents on one host take turns benchmarking', () => {
  it('never runs two holders at once, and runs every one of them', async () => {
    await withDir(async (dir) => {
      const file = join(dir, 'host.lock');
      const spans: Array<[number, number]> = [];
      let inside = 0;
      let most = 0;
      await Promise.all(Array.from({ length: 4 }, () => withHostLock(file, async () => {
        inside++;
        most = Math.max(most, inside);
        const start = performance.now();
        await sleep(40);
        spans.push([start, performance.now()]);
        inside--;
      })));
      assert.equal(spans.length, 4);
      assert.equal(most, 1, 'one holder at a time');
      spans.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], `span ${i} starts before ${i - 1} ended`);
    });
  });

  it('releases the lock when the holder throws', async () => {
    await withDir(async (dir) => {
      const file = join(dir, 'host.lock');
      await assert.rejects(withHostLock(file, async () => { throw new Error('benchmark blew up'); }), /blew up/);
      assert.equal(await withHostLock(file, async () => 'next'), 'next');
    });
  });

  it('a waiter gives up when its signal fires', async () => {
    await withDir(async (dir) => {
      const file = join(dir, 'host.lock');
      const ac = new AbortController();
      let release!: () => void;
      const holder = withHostLock(file, () => new Promise<void>((r) => { release = r; }));
      await sleep(30);
      const waiter = withHostLock(file, async () => 'ran', ac.signal);
      await sleep(60);
      ac.abort();
      await assert.rejects(waiter, AbortedError);
      release();
      await holder;
    });
  });

  it('a lock left by a killed process is taken over once stale', async () => {
    await withDir(async (dir) => {
      const file = join(dir, 'host.lock');
      // Another agent process takes the lock and is SIGKILLed while holding it.
      const code = `require(${JSON.stringify(require.resolve('./host-lock'))}).withHostLock(${JSON.stringify(file)}, () => { process.stdout.write('held\\n'); return new Promise(() => {}); }, undefined, 2000)`;
      const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((res) => child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('held')) res(); }));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const t0 = performance.now();
      assert.equal(await withHostLock(file, async () => 'mine', undefined, 2000), 'mine');
      const waited = performance.now() - t0;
      assert.ok(waited < 5000, `took over after ${waited.toFixed(0)} ms`);
    });
  });
});

describe('startAgent with a benchmark lock it cannot create', () => {
  it('refuses to start, naming the path, before connecting anywhere', async () => {
    await withDir(async (dir) => {
      const file = join(dir, 'not-a-dir');
      await writeFile(file, 'x');
      const lock = join(file, 'bench.lock');
      await assert.rejects(
        startAgent({ brokerUrl: 'mqtt://127.0.0.1:1', deviceId: 'lock-check', stateDir: join(dir, 'state'), benchmarkLock: lock }),
        (e: unknown) => e instanceof AgentConfigError && e.problems.some((p) => p.includes(`benchmark lock ${lock}: cannot create`)),
      );
    });
  });
});
