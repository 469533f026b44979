import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TransferRejectedError, TransferStalledError } from '../lib/errors';
import { fetchBlocks, type BlockTransport } from './block-fetcher';
import { PartialDownload } from './partial-download';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** An in-memory link that answers requests from a buffer and can drop or refuse. */
function memoryTransport(bytes: Buffer, blockSize: number, opts: { drop?: (index: number, attempt: number) => boolean; refuse?: boolean; silent?: boolean } = {}) {
  const listeners = new Set<(i: number, p: Buffer) => void>();
  const rejected = new Set<(reason: string, topic: string) => void>();
  const requested: number[] = [];
  const seen = new Map<number, number>();
  const t: BlockTransport = {
    requestBlocks: async (sha256, index, count) => {
      for (let i = index; i < index + count; i++) {
        requested.push(i);
        const attempt = (seen.get(i) ?? 0) + 1;
        seen.set(i, attempt);
        if (opts.refuse) setImmediate(() => rejected.forEach((l) => l(`unknown object ${sha256}`, 'edgefleet/v1/devices/d/block-req')));
        else if (!opts.silent && !opts.drop?.(i, attempt)) setImmediate(() => listeners.forEach((l) => l(i, bytes.subarray(i * blockSize, (i + 1) * blockSize))));
      }
    },
    onBlock: (_sha, l) => (listeners.add(l), () => listeners.delete(l)),
    onRejected: (l) => (rejected.add(l), () => rejected.delete(l)),
  };
  return { t, requested };
}

async function setup(size = 20_000, blockSize = 1024) {
  const dir = await mkdtemp(join(tmpdir(), 'fetch-'));
  dirs.push(dir);
  const bytes = Buffer.from(Array.from({ length: size }, (_, i) => (i * 7) & 0xff));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const partial = await PartialDownload.open({ sha256, size, blockSize }, { data: join(dir, 'x.part'), meta: join(dir, 'x.json') });
  return { bytes, partial, blockSize };
}

const tuning = { window: 4, requestTimeoutMs: 40, maxRequestTimeoutMs: 200, stallTimeoutMs: 1500 };

describe('fetchBlocks', () => {
  it('fetches every block once on a clean link, never more than the window in flight', async () => {
    const { bytes, partial, blockSize } = await setup();
    const { t, requested } = memoryTransport(bytes, blockSize);
    await fetchBlocks({ partial, transport: t, tuning, signal: new AbortController().signal });
    assert.ok(partial.complete);
    assert.deepEqual([...requested].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
    await partial.close();
  });

  it('re-requests lost blocks after their deadline and completes', async () => {
    const { bytes, partial, blockSize } = await setup();
    const { t, requested } = memoryTransport(bytes, blockSize, { drop: (i, attempt) => i % 5 === 0 && attempt === 1 });
    const r = await fetchBlocks({ partial, transport: t, tuning, signal: new AbortController().signal });
    assert.ok(partial.complete);
    assert.equal(requested.filter((i) => i === 5).length, 2);
    assert.equal(r.requestedBlocks, 24);
    await partial.close();
  });

  it('asks only for what the bitmap lacks', async () => {
    const { bytes, partial, blockSize } = await setup();
    for (let i = 0; i < 15; i++) await partial.writeBlock(i, bytes.subarray(i * blockSize, (i + 1) * blockSize));
    const { t, requested } = memoryTransport(bytes, blockSize);
    await fetchBlocks({ partial, transport: t, tuning, signal: new AbortController().signal });
    assert.deepEqual([...requested].sort((a, b) => a - b), [15, 16, 17, 18, 19]);
    await partial.close();
  });

  it('gives up transiently when nothing arrives, and terminally when refused', async () => {
    const a = await setup();
    await assert.rejects(
      fetchBlocks({ partial: a.partial, transport: memoryTransport(a.bytes, a.blockSize, { silent: true }).t, tuning: { ...tuning, stallTimeoutMs: 300 }, signal: new AbortController().signal }),
      TransferStalledError,
    );
    await a.partial.close();
    const b = await setup();
    await assert.rejects(
      fetchBlocks({ partial: b.partial, transport: memoryTransport(b.bytes, b.blockSize, { refuse: true }).t, tuning, signal: new AbortController().signal }),
      TransferRejectedError,
    );
    await b.partial.close();
  });
});
