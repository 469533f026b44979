/**
 * Eval set file format ("EFEV", version 1), shipped beside a model so a device can measure accuracy.
 * Little endian:
 *   magic "EFEV" | u32 version=1 | u32 n | u32 rank | u32 dims[rank] (one sample, no batch dim)
 *   | u32 numClasses | u32 nameLen | utf8 inputName | f32 x[n × prod(dims)] | i32 y[n]
 */
export interface EvalSet {
  /** Name of the model input the samples feed (empty = the model's first input). */
  inputName: string;
  sampleShape: number[];
  numClasses: number;
  x: Float32Array;
  y: Int32Array;
  n: number;
}

export class EvalSetFormatError extends Error {
  override name = 'EvalSetFormatError';
}

const MAGIC = 0x56454645; // "EFEV" read as little-endian u32

export function encodeEvalSet(set: EvalSet): Buffer {
  const features = set.sampleShape.reduce((a, b) => a * b, 1);
  if (set.x.length !== set.n * features) throw new EvalSetFormatError(`x has ${set.x.length} values, expected n×features = ${set.n * features}`);
  if (set.y.length !== set.n) throw new EvalSetFormatError(`y has ${set.y.length} labels, expected ${set.n}`);
  const name = Buffer.from(set.inputName, 'utf8');
  const headerInts = 4 + set.sampleShape.length + 2;
  const header = Buffer.alloc(headerInts * 4 + name.length);
  let o = 0;
  for (const v of [MAGIC, 1, set.n, set.sampleShape.length, ...set.sampleShape, set.numClasses, name.length]) {
    header.writeUInt32LE(v, o);
    o += 4;
  }
  name.copy(header, o);
  return Buffer.concat([
    header,
    Buffer.from(set.x.buffer, set.x.byteOffset, set.x.byteLength),
    Buffer.from(set.y.buffer, set.y.byteOffset, set.y.byteLength),
  ]);
}

export function decodeEvalSet(buf: Uint8Array): EvalSet {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const need = (n: number, what: string) => {
    if (b.length < n) throw new EvalSetFormatError(`truncated eval set: ${what} needs ${n} bytes, file has ${b.length}`);
  };
  need(16, 'header');
  if (b.readUInt32LE(0) !== MAGIC) throw new EvalSetFormatError('not an eval set (bad magic, expected "EFEV")');
  const version = b.readUInt32LE(4);
  if (version !== 1) throw new EvalSetFormatError(`unsupported eval set version ${version}`);
  const n = b.readUInt32LE(8);
  const rank = b.readUInt32LE(12);
  if (rank < 1 || rank > 8) throw new EvalSetFormatError(`bad sample rank ${rank}`);
  need(16 + rank * 4 + 8, 'dims');
  const sampleShape = Array.from({ length: rank }, (_, i) => b.readUInt32LE(16 + i * 4));
  let o = 16 + rank * 4;
  const numClasses = b.readUInt32LE(o);
  const nameLen = b.readUInt32LE(o + 4);
  o += 8;
  need(o + nameLen, 'input name');
  const inputName = b.subarray(o, o + nameLen).toString('utf8');
  o += nameLen;
  const features = sampleShape.reduce((a, c) => a * c, 1);
  const end = o + n * features * 4 + n * 4;
  need(end, 'samples');
  if (b.length !== end) throw new EvalSetFormatError(`eval set has ${b.length - end} trailing bytes`);
  // Copy into aligned arrays: the payload offset is not necessarily a multiple of 4.
  const x = new Float32Array(n * features);
  Buffer.from(x.buffer).set(b.subarray(o, o + n * features * 4));
  o += n * features * 4;
  const y = new Int32Array(n);
  Buffer.from(y.buffer).set(b.subarray(o, o + n * 4));
  for (let i = 0; i < n; i++) {
    if (y[i]! < 0 || y[i]! >= numClasses) throw new EvalSetFormatError(`label ${y[i]} of sample ${i} is outside 0..${numClasses - 1}`);
  }
  return { inputName, sampleShape, numClasses, x, y, n };
}
