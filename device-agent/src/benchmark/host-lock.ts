import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { AbortedError } from '../lib/errors';

/** Creates the lock's file (and folder) if missing: proper-lockfile locks an existing path. */
export async function ensureLockFile(file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await (await open(file, 'a')).close();
}

/**
 * Turn-taking between simulated devices that share one host (`--bench-lock <file>`): a real device has its CPU to
 * itself while it benchmarks, simulated ones on one machine do not, and a sub-millisecond p95 measured while a
 * neighbour benchmarks is 2–3× too high. Each benchmark holds the lock for its duration. proper-lockfile's lock is
 * a directory next to `file`, refreshed while held and taken over when its holder stops refreshing it (a killed
 * agent), so a crash never blocks the others for longer than `staleMs`.
 */
export async function withHostLock<T>(file: string, fn: () => Promise<T>, signal?: AbortSignal, staleMs = 10_000): Promise<T> {
  await ensureLockFile(file);
  let release: (() => Promise<void>) | undefined;
  while (!release) {
    if (signal?.aborted) throw new AbortedError('benchmark aborted while waiting for the host lock');
    try {
      release = await lockfile.lock(file, { stale: staleMs, update: staleMs / 2, realpath: false });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
    }
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined); // already taken over as stale: nothing left to release
  }
}
