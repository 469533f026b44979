import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { PayloadTooLargeError, UnprocessableError } from '@edgefleet/platform';
import { gzipBomb } from '../testing/factories';
import { checkGzipBounds } from '@edgefleet/catalog';


describe('checkGzipBounds', () => {
  const withFile = async (bytes: Buffer, fn: (path: string) => Promise<void>) => {
    const dir = await mkdtemp(join(tmpdir(), 'edgefleet-gz-'));
    try {
      await writeFile(join(dir, 'f.gz'), bytes);
      await fn(join(dir, 'f.gz'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  it('counts ordinary data and lets it through', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    const gz = gzipSync(data);
    await withFile(gz, async (p) => assert.equal(await checkGzipBounds(p, gz.length), data.length));
  });

  it('refuses a bomb by ratio and by absolute size, without holding the output', async () => {
    const bomb = gzipBomb(64);
    await withFile(bomb, async (p) => {
      await assert.rejects(checkGzipBounds(p, bomb.length), (e) => e instanceof PayloadTooLargeError && /100×/.test(e.message));
      const limits = { maxBytes: 8 * 1024 * 1024, maxRatio: 1e9, ratioFloorBytes: 0 };
      await assert.rejects(checkGzipBounds(p, bomb.length, limits), (e) => e instanceof PayloadTooLargeError && /8388608/.test(e.message));
    });
  });

  it('reports corrupt gzip as unprocessable', async () => {
    const gz = gzipSync(randomBytes(100_000));
    await withFile(gz.subarray(0, gz.length / 2), async (p) => {
      await assert.rejects(checkGzipBounds(p, gz.length / 2), UnprocessableError);
    });
  });
});
