import * as ort from 'onnxruntime-node';
import { FEATURIZER_METADATA_KEY, encodeTextEvalSet, featurizeAll, layoutOf, parseFeaturizer, sparseBatch, type FeaturizerSpec } from '@edgefleet/contracts';
import { DatasetSplit } from '../data/dataset';
import { distill } from '../pipeline/distill';
import { prepareSplit } from '../pipeline/split';
import type { DistillOptions, DistillProgress, DistillResult } from '../pipeline/options';
import { argmaxRows, matchRate } from '../train/metrics';
import type { TextSplit } from './text-dataset';
import { toEmbeddingBag } from './embedding-bag';
import type { TeacherCost, TeacherRunOptions, TextTeacher } from './teachers/teacher';

/**
 * Default featurizer of text students: char 1–4-grams and words into 8,192 buckets of the first 400 characters.
 * A 64-wide hidden layer on it is 0.5M weights, ~0.5 MB in int8.
 */
export const DEFAULT_TEXT_FEATURIZER: FeaturizerSpec = { id: 'hashed-ngrams', version: 1, charMin: 1, charMax: 4, wordMin: 1, wordMax: 1, seed: 0, buckets: 8192, maxChars: 400 };
/**
 * Featurizer of language-id students: the same n-grams in version 2 with the sparse layout (an embedding bag): per
 * paragraph the cost follows the paragraph's n-grams, which is what makes the student fast next to fastText.
 */
export const LID_TEXT_FEATURIZER: FeaturizerSpec = { ...DEFAULT_TEXT_FEATURIZER, version: 2, layout: 'sparse' };
export const DEFAULT_TEXT_STUDENTS = ['mlp:32', 'mlp:128'];
/** Class names of a text model, in output order, beside the featurizer in its metadata. */
export const LABELS_METADATA_KEY = 'edgefleet.labels';

/** The data with the labels distill()'s split (same fraction, validation share and seed) keeps hidden set to -1. */
function hideLabels(data: TextSplit, fraction: number, validationFraction: number, seed: number): TextSplit {
  const n = data.train.texts.length;
  const probe = prepareSplit({ x: new Float32Array(n), y: new Int32Array(n), n, sampleShape: [1], numClasses: 1 }, fraction, validationFraction, seed);
  const visible = new Uint8Array(n).fill(1); // validation rows are labelled
  probe.trainRows.forEach((r, i) => { visible[r] = probe.train.labeled ? probe.train.labeled[i]! : 1; });
  return { ...data, train: { texts: data.train.texts, y: Int32Array.from(data.train.y, (y, i) => (visible[i] ? y : -1)) } };
}

export interface TextDistillOptions extends Omit<DistillOptions, 'data' | 'teacher' | 'teacherLogits' | 'modelMetadata' | 'teacherArch' | 'teacherEpochs'> {
  data: TextSplit;
  teacher: TextTeacher;
  featurizer?: FeaturizerSpec;
  cacheDir?: string;
  onTeacherProgress?: TeacherRunOptions['onProgress'];
}

export interface TextDistillResult extends DistillResult {
  featurizer: FeaturizerSpec;
  classes: string[];
  /** `data`: accuracy is against the data set's labels; `teacher`: against the teacher's top-1 (no human labels). */
  labelSource: 'data' | 'teacher';
  teacherCost: TeacherCost;
  /** The held-out rows as an efev-text eval set (labels as in `labelSource`), for devices. */
  evalSet: Buffer;
}

/**
 * Text distillation: the teacher labels the texts (cached), the texts become hashed n-gram vectors with the shared
 * featurizer, and the image pipeline's `distill()` trains, quantizes and evaluates the students on them with the
 * teacher's probabilities as soft targets (log-probabilities are logits: softmax(log p / T) is p tempered by T).
 */
export async function distillText(o: TextDistillOptions, onProgress: (p: DistillProgress) => void = () => {}): Promise<TextDistillResult> {
  const featurizer = parseFeaturizer(o.featurizer ?? DEFAULT_TEXT_FEATURIZER);
  const { data, teacher, cacheDir, onTeacherProgress, ...rest } = o;
  // With a labelled fraction below 1 the teacher's head may only see the labels the students may see: the same
  // seeded split distill() makes below, so "10 % labels" means 10 % for teacher and students alike.
  const fraction = o.labeledFraction ?? 1;
  const visible = fraction < 1 ? hideLabels(data, fraction, o.validationFraction ?? 0.1, o.seed ?? 1) : data;
  const t = await teacher.label(visible, { cacheDir, onProgress: onTeacherProgress, seed: o.seed, threads: o.threads, signal: o.signal });
  const K = t.classes.length;
  const ownClasses = t.classes !== data.labels && (t.classes.length !== data.labels.length || t.classes.some((c, i) => c !== data.labels[i]));
  const teacherTop = (p: Float32Array, n: number) => argmaxRows(p, n, K);
  // A teacher with classes of its own (fastText's languages) defines the labels; otherwise unlabelled rows take
  // the teacher's top-1 (the KD term still sees its full distribution).
  const labelsOf = (y: Int32Array, probs: Float32Array) => {
    const top = teacherTop(probs, y.length);
    return ownClasses ? top : Int32Array.from(y, (v, i) => (v >= 0 ? v : top[i]!));
  };
  const split: DatasetSplit = {
    train: { x: featurizeAll(featurizer, data.train.texts), y: labelsOf(data.train.y, t.train), n: data.train.texts.length, sampleShape: [featurizer.buckets], numClasses: K },
    test: { x: featurizeAll(featurizer, data.test.texts), y: labelsOf(data.test.y, t.test), n: data.test.texts.length, sampleShape: [featurizer.buckets], numClasses: K },
    source: data.source,
  };
  const logp = (p: Float32Array) => Float32Array.from(p, (v) => Math.log(Math.max(v, 1e-7)));
  const result = await distill({
    ...rest,
    students: o.students?.length ? o.students : DEFAULT_TEXT_STUDENTS,
    data: split,
    teacherLogits: { train: logp(t.train), test: logp(t.test), name: t.name, params: t.params, bytes: t.bytes },
    modelMetadata: { [FEATURIZER_METADATA_KEY]: JSON.stringify(featurizer), [LABELS_METADATA_KEY]: JSON.stringify(t.classes) },
    // The embedding-bag rewrite takes a dynamic int8 first layer (DynamicQuantizeMatMul), not a static QDQ one.
    ...(layoutOf(featurizer) === 'sparse' && { int8Static: false }),
  }, onProgress);
  if (layoutOf(featurizer) === 'sparse') await asEmbeddingBags(result, featurizer, data.test.texts, split.test.y, K);
  const evalSet = encodeTextEvalSet({ inputName: '', labels: t.classes, samples: data.test.texts.map((text, i) => ({ text, label: split.test.y[i]! })) });
  return { ...result, featurizer, classes: t.classes, labelSource: ownClasses ? 'teacher' : 'data', teacherCost: t.cost, evalSet };
}

/** Top-1 of a sparse-layout model on texts, batches of 256. */
export async function sparseTop1(model: Uint8Array, spec: FeaturizerSpec, texts: readonly string[], classes: number): Promise<Int32Array> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const top = new Int32Array(texts.length);
  try {
    for (let i = 0; i < texts.length; i += 256) {
      const chunk = texts.slice(i, i + 256);
      const b = sparseBatch(spec, chunk);
      const out = await session.run({ indices: new ort.Tensor('int32', b.indices, [chunk.length, b.width]), weights: new ort.Tensor('float32', b.weights, [chunk.length, b.width]) });
      top.set(argmaxRows(out[session.outputNames[0]!]!.data as Float32Array, chunk.length, classes), i);
    }
  } finally {
    await session.release();
  }
  return top;
}

/**
 * Sparse layout: the students were trained on the dense vector (the same numbers); what ships is their
 * embedding-bag form (fp32 and int8), scored again on the held-out texts through the sparse inputs. fp16 students
 * are not converted (the rewrite handles float and int8 first layers) and are dropped with a warning.
 */
async function asEmbeddingBags(result: DistillResult, spec: FeaturizerSpec, texts: readonly string[], y: Int32Array, classes: number): Promise<void> {
  for (const [i, s] of result.students.entries()) {
    const m = result.metrics.students[i]!;
    s.fp32 = toEmbeddingBag(s.fp32);
    m.bytes = s.fp32.byteLength;
    if (s.int8) {
      s.int8 = toEmbeddingBag(s.int8);
      const top = await sparseTop1(s.int8, spec, texts, classes);
      const accuracy = matchRate(top, y);
      // The dense form's timings do not describe the embedding bag: devices' reports decide int8 against fp32.
      m.int8 = { format: 'dynamic', accuracy, bytes: s.int8.byteLength, formats: [{ format: 'dynamic', accuracy, bytes: s.int8.byteLength }] };
    }
    if (s.fp16) {
      s.fp16 = undefined;
      m.fp16 = undefined;
      result.metrics.warnings.push(`${s.name}: no fp16 variant in the sparse layout (the embedding-bag rewrite takes float32 and int8 students)`);
    }
  }
}
