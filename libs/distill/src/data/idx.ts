/**
 * IDX files, the format MNIST and Fashion-MNIST are published in: a 4-byte magic number
 * (0, 0, element type, rank), `rank` big-endian uint32 dimensions, then the elements row-major.
 * Only unsigned bytes (type 0x08) are read and written, which is what the MNIST layout uses.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { readFile, writeFile } from 'node:fs/promises';
import { DatasetError } from './dataset-error';

export const IDX_UBYTE = 0x08;

export interface IdxTensor {
  dims: number[];
  data: Uint8Array;
}

const hex = (v: number): string => `0x${v.toString(16).padStart(8, '0')}`;

/** Parses IDX bytes whose rank must be `rank`; `file` names the source in errors. */
export function decodeIdx(bytes: Uint8Array, file: string, rank: number): IdxTensor {
  const expected = (IDX_UBYTE << 8) | rank;
  if (bytes.length < 4) throw new DatasetError(file, `truncated: ${bytes.length} bytes, too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (magic !== expected) {
    throw new DatasetError(file, `wrong magic number ${hex(magic)}, expected ${hex(expected)} (IDX unsigned bytes, ${rank} dimensions)`);
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new DatasetError(file, `truncated: ${bytes.length} bytes, the header alone needs ${headerBytes}`);
  }
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  const have = bytes.length - headerBytes;
  if (have < size) {
    throw new DatasetError(file, `truncated: header declares ${dims.join('×')} = ${size} data bytes, file has ${have}`);
  }
  if (have > size) {
    throw new DatasetError(file, `${have - size} unexpected bytes after the ${dims.join('×')} data the header declares`);
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

export function encodeIdx(t: IdxTensor): Uint8Array {
  const size = t.dims.reduce((a, b) => a * b, 1);
  if (size !== t.data.length) throw new RangeError(`IDX dims ${t.dims.join('×')} do not match ${t.data.length} bytes`);
  const out = new Uint8Array(4 + 4 * t.dims.length + size);
  const view = new DataView(out.buffer);
  view.setUint32(0, (IDX_UBYTE << 8) | t.dims.length);
  t.dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(t.data, 4 + 4 * t.dims.length);
  return out;
}

const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** Reads an IDX file, gunzipping it when its bytes say it is gzip (whatever the name says). */
export async function readIdxFile(file: string, rank: number): Promise<IdxTensor> {
  let bytes: Uint8Array = await readFile(file);
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new DatasetError(file, `corrupt or truncated gzip data (${(err as Error).message})`);
    }
  }
  return decodeIdx(bytes, file, rank);
}

export async function writeIdxFile(file: string, t: IdxTensor, gzip = false): Promise<void> {
  const bytes = encodeIdx(t);
  await writeFile(file, gzip ? gzipSync(bytes) : bytes);
}
