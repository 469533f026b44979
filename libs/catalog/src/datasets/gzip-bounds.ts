import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { PayloadTooLargeError, UnprocessableError } from '@edgefleet/platform';

export interface DecompressionLimits {
  /** Largest decompressed size accepted, in bytes. */
  maxBytes: number;
  /** Largest decompressed : compressed ratio accepted once the output passes `ratioFloorBytes`. */
  maxRatio: number;
  /** Small files may compress very well (a header, a column of zeros); the ratio is judged above this. */
  ratioFloorBytes: number;
}

/**
 * Data sets are read whole into memory by libs/distill, so an upload's decompressed size is what it costs.
 * Real data compresses 2-10×; Fashion-MNIST's IDX files ~2×. A zip bomb (1 MB of gzip → 1 GB) is refused
 * while it is being counted, long before anything holds it.
 */
export const DATASET_DECOMPRESSION_LIMITS: Readonly<DecompressionLimits> = {
  maxBytes: 512 * 1024 * 1024,
  maxRatio: 100,
  ratioFloorBytes: 1024 * 1024,
};

/**
 * Streams the gzip file at `path` through gunzip, counting the output and keeping none of it; stops as soon as
 * a limit is passed (PayloadTooLargeError, 413). Corrupt gzip data is an UnprocessableError (422).
 */
export async function checkGzipBounds(path: string, compressedBytes: number, limits: DecompressionLimits = DATASET_DECOMPRESSION_LIMITS): Promise<number> {
  let out = 0;
  const counter = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.length;
      if (out > limits.maxBytes) {
        return done(new PayloadTooLargeError(`decompressed data is larger than the limit of ${limits.maxBytes} bytes`));
      }
      if (out > limits.ratioFloorBytes && out > limits.maxRatio * Math.max(1, compressedBytes)) {
        return done(new PayloadTooLargeError(`gzip data expands more than ${limits.maxRatio}× (${compressedBytes} compressed bytes), refused as a decompression bomb`));
      }
      done();
    },
  });
  try {
    await pipeline(createReadStream(path), createGunzip(), counter);
  } catch (err) {
    if (err instanceof PayloadTooLargeError) throw err;
    if ((err as NodeJS.ErrnoException).code?.startsWith('Z_')) {
      throw new UnprocessableError(`data set not readable: corrupt or truncated gzip data (${(err as Error).message})`);
    }
    throw err;
  }
  return out;
}
