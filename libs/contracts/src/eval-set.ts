/**
 * Eval set file format ("EFEV"), shipped beside a model so a device can score it (docs/models.md, "Eval sets").
 * Little endian:
 *   magic "EFEV" | u32 version (1 or 2) | u32 n | u32 rank | u32 dims[rank] (one sample, no batch dim)
 *   | u32 numClasses | u32 nameLen | utf8 inputName
 *   | version 2 only: u32 task (0 multiclass, 1 binary, 2 multilabel, 3 regression) | f32 threshold
 *   | f32 x[n × prod(dims)]
 *   | multiclass, binary: i32 y[n]      multilabel, regression: f32 targets[n × numClasses]
 * Version 1 is multi-class. `numClasses` is the width of the scored output: classes (multiclass), 2 (binary: one
 * sigmoid probability, or two columns whose second is the positive class), labels (multilabel), values (regression).
 */
export const EVAL_TASKS = ['multiclass', 'binary', 'multilabel', 'regression'] as const;
export type EvalTask = (typeof EVAL_TASKS)[number];

export interface EvalSet {
  /** Name of the model input the samples feed (empty = the model's first input). */
  inputName: string;
  sampleShape: number[];
  numClasses: number;
  x: Float32Array;
  /** Class of each sample (multiclass, binary: 0/1); all 0 for multilabel and regression, which use `targets`. */
  y: Int32Array;
  n: number;
  /** Absent = multiclass. */
  task?: EvalTask;
  /** binary and multilabel: a probability at or above it is positive (default 0.5). */
  threshold?: number;
  /** multilabel (0/1) and regression: n × numClasses expected values. */
  targets?: Float32Array;
  /**
   * Text eval sets of a sparse-layout featurizer: the model takes each row's non-zero buckets as its `indices` and
   * `weights` inputs (text-featurizer.ts, SPARSE_INPUTS), not the dense row; `x` holds the same vectors densely.
   */
  sparse?: true;
}

export const DEFAULT_THRESHOLD = 0.5;
export const evalTaskOf = (set: Pick<EvalSet, 'task'>): EvalTask => set.task ?? 'multiclass';
const usesTargets = (task: EvalTask) => task === 'multilabel' || task === 'regression';

export class EvalSetFormatError extends Error {
  override name = 'EvalSetFormatError';
}

const MAGIC = 0x56454645; // "EFEV" read as little-endian u32

/** Writes version 1 for a multi-class set (the bytes, so the hashes, of existing sets do not change), else 2. */
export function encodeEvalSet(set: EvalSet): Buffer {
  const task = evalTaskOf(set);
  const features = set.sampleShape.reduce((a, b) => a * b, 1);
  if (set.x.length !== set.n * features) throw new EvalSetFormatError(`x has ${set.x.length} values, expected n×features = ${set.n * features}`);
  if (usesTargets(task)) {
    if (set.targets?.length !== set.n * set.numClasses) throw new EvalSetFormatError(`${task} targets have ${set.targets?.length ?? 0} values, expected n×numClasses = ${set.n * set.numClasses}`);
  } else if (set.y.length !== set.n) throw new EvalSetFormatError(`y has ${set.y.length} labels, expected ${set.n}`);
  const version = task === 'multiclass' && set.threshold === undefined ? 1 : 2;
  const name = Buffer.from(set.inputName, 'utf8');
  const ints = [MAGIC, version, set.n, set.sampleShape.length, ...set.sampleShape, set.numClasses, name.length];
  const header = Buffer.alloc(ints.length * 4 + name.length + (version === 2 ? 8 : 0));
  let o = 0;
  for (const v of ints) {
    header.writeUInt32LE(v, o);
    o += 4;
  }
  name.copy(header, o);
  o += name.length;
  if (version === 2) {
    header.writeUInt32LE(EVAL_TASKS.indexOf(task), o);
    header.writeFloatLE(set.threshold ?? DEFAULT_THRESHOLD, o + 4);
  }
  const labels = usesTargets(task) ? set.targets! : set.y;
  return Buffer.concat([
    header,
    Buffer.from(set.x.buffer, set.x.byteOffset, set.x.byteLength),
    Buffer.from(labels.buffer, labels.byteOffset, labels.byteLength),
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
  if (version !== 1 && version !== 2) throw new EvalSetFormatError(`unsupported eval set version ${version}`);
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
  let task: EvalTask = 'multiclass';
  let threshold: number | undefined;
  if (version === 2) {
    need(o + 8, 'task');
    const code = b.readUInt32LE(o);
    if (code >= EVAL_TASKS.length) throw new EvalSetFormatError(`unknown eval set task ${code} (0..${EVAL_TASKS.length - 1})`);
    task = EVAL_TASKS[code]!;
    threshold = b.readFloatLE(o + 4);
    if (!(threshold > 0 && threshold < 1)) throw new EvalSetFormatError(`threshold ${threshold} is outside (0, 1)`);
    o += 8;
  }
  if (task === 'binary' && numClasses !== 2) throw new EvalSetFormatError(`a binary eval set has numClasses 2, this one ${numClasses}`);
  const features = sampleShape.reduce((a, c) => a * c, 1);
  const labelCount = usesTargets(task) ? n * numClasses : n;
  const end = o + n * features * 4 + labelCount * 4;
  need(end, 'samples');
  if (b.length !== end) throw new EvalSetFormatError(`eval set has ${b.length - end} trailing bytes`);
  // Copy into aligned arrays: the payload offset is not necessarily a multiple of 4.
  const x = new Float32Array(n * features);
  Buffer.from(x.buffer).set(b.subarray(o, o + n * features * 4));
  o += n * features * 4;
  const y = new Int32Array(n);
  const head = { inputName, sampleShape, numClasses, x, y, n, ...(version === 2 && { task, threshold }) };
  if (usesTargets(task)) {
    const targets = new Float32Array(labelCount);
    Buffer.from(targets.buffer).set(b.subarray(o, o + labelCount * 4));
    for (let i = 0; i < labelCount; i++) {
      const t = targets[i]!;
      if (task === 'multilabel' ? t !== 0 && t !== 1 : !Number.isFinite(t)) {
        throw new EvalSetFormatError(`target ${t} of sample ${Math.floor(i / numClasses)} is not ${task === 'multilabel' ? '0 or 1' : 'finite'}`);
      }
    }
    return { ...head, targets };
  }
  Buffer.from(y.buffer).set(b.subarray(o, o + n * 4));
  for (let i = 0; i < n; i++) {
    if (y[i]! < 0 || y[i]! >= numClasses) throw new EvalSetFormatError(`label ${y[i]} of sample ${i} is outside 0..${numClasses - 1}`);
  }
  return head;
}
