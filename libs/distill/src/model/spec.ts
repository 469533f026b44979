import { DistillConfigError } from '../errors';

/** Serialisable description of one layer. */
export type LayerSpec =
  | { kind: 'dense'; units: number }
  | { kind: 'relu' }
  | { kind: 'dropout'; rate: number }
  | { kind: 'flatten' }
  | { kind: 'conv2d'; filters: number; kernel: number }
  | { kind: 'maxpool2d'; size: number };

/** A network family member, independent of the data set except for its input and class count. */
export interface ModelSpec {
  name: string;
  family: 'mlp' | 'cnn';
  /** Sample shape the first layer expects: [features] for MLPs, [C, H, W] for CNNs. */
  inputShape: number[];
  layers: LayerSpec[];
}

export interface MlpOptions {
  /** Dropout after each hidden ReLU (0 = none). */
  dropout?: number;
  /** Dropout on the input features, Hinton's "input jitter" stand-in. */
  inputDropout?: number;
  name?: string;
}

/** `mlp([784, 256, 10])`: fully connected ReLU network; the last size is the class count. */
export function mlp(sizes: number[], opts: MlpOptions = {}): ModelSpec {
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new DistillConfigError(`mlp sizes must be ≥ 2 positive integers, got [${sizes}]`);
  }
  const layers: LayerSpec[] = [];
  if (opts.inputDropout) layers.push({ kind: 'dropout', rate: opts.inputDropout });
  sizes.slice(1).forEach((units, i) => {
    layers.push({ kind: 'dense', units });
    if (i < sizes.length - 2) {
      layers.push({ kind: 'relu' });
      if (opts.dropout) layers.push({ kind: 'dropout', rate: opts.dropout });
    }
  });
  return { name: opts.name ?? `mlp-${sizes.join('-')}`, family: 'mlp', inputShape: [sizes[0]!], layers };
}

export interface CnnOptions {
  /** Conv widths; each conv (3×3, same) is followed by 2×2 max pooling and ReLU. */
  channels: number[];
  /** Hidden dense width before the classifier (0 = none). */
  dense: number;
  numClasses: number;
  /** Image shape [C, H, W]. */
  inputShape: number[];
  dropout?: number;
  name?: string;
}

/** conv-relu-pool blocks, flatten, dense-relu, classifier: the teacher and its narrower students. */
export function cnn(o: CnnOptions): ModelSpec {
  if (o.inputShape.length !== 3) throw new DistillConfigError(`cnn needs an image shape [C, H, W], got [${o.inputShape}]`);
  const layers: LayerSpec[] = [];
  // Pool before ReLU: the same function (max and ReLU commute) with the ReLU and its backward on
  // a quarter of the values; in training those passes were ~8% of a CNN step.
  for (const filters of o.channels) layers.push({ kind: 'conv2d', filters, kernel: 3 }, { kind: 'maxpool2d', size: 2 }, { kind: 'relu' });
  layers.push({ kind: 'flatten' });
  if (o.dropout) layers.push({ kind: 'dropout', rate: o.dropout });
  if (o.dense > 0) {
    layers.push({ kind: 'dense', units: o.dense }, { kind: 'relu' });
    if (o.dropout) layers.push({ kind: 'dropout', rate: o.dropout });
  }
  layers.push({ kind: 'dense', units: o.numClasses });
  return { name: o.name ?? `cnn-${o.channels.join('-')}-${o.dense}`, family: 'cnn', inputShape: o.inputShape, layers };
}

/**
 * Image shape for a data set's samples: kept when already [C, H, W], otherwise a square
 * single-channel image when the feature count is a perfect square (784 → [1, 28, 28]).
 */
export function imageShape(sampleShape: number[]): number[] {
  if (sampleShape.length === 3) return sampleShape;
  if (sampleShape.length === 2) return [1, sampleShape[0]!, sampleShape[1]!];
  throw new DistillConfigError(`samples of shape [${sampleShape}] are tabular: use an mlp (a CSV of images says so with its image shape, e.g. 28x28, when it is loaded)`);
}

/**
 * Whether samples are images is the data set's to say — IDX files are ([1, rows, cols]), a CSV is tabular ([F])
 * unless loaded with an image shape — and never guessed from the feature count: 1, 4, 9, 16 or 64 sensor
 * readings are a table, not a tiny picture.
 */
export const isImageShape = (sampleShape: readonly number[]): boolean => sampleShape.length === 2 || sampleShape.length === 3;

/** The image-shape grammar (`28x28` or `3x32x32`: [H, W] or [C, H, W]), one for the CLI and the REST upload. */
export const IMAGE_SHAPE_PATTERN = /^[1-9][0-9]{0,4}(x[1-9][0-9]{0,4}){1,2}$/;

export function parseImageShape(text: string): number[] {
  if (!IMAGE_SHAPE_PATTERN.test(text)) throw new DistillConfigError(`image shape ${JSON.stringify(text)} is not HxW or CxHxW (e.g. 28x28)`);
  const dims = text.split('x').map(Number);
  return dims.length === 2 ? [1, ...dims] : dims;
}

/**
 * The model-spec grammar, the one the CLI's `--students`, a job's `students` and the REST DTO accept:
 * `mlp:256` or `mlp:512x256` (hidden sizes), `cnn:8-16-32` (conv widths, then the hidden dense width, 0 = none).
 * parseModelSpec reads it and formatModelSpec writes it; nothing else spells it out.
 */
export const MODEL_SPEC_PATTERN = /^(mlp|cnn):([0-9x-]+)$/;

/** Parses the model-spec grammar (above). Input size and class count come from the data set. */
export function parseModelSpec(text: string, sampleShape: number[], numClasses: number, dropout = 0): ModelSpec {
  const m = MODEL_SPEC_PATTERN.exec(text.trim());
  if (!m) throw new DistillConfigError(`bad model "${text}": expected mlp:<h1>x<h2>… or cnn:<c1>-<c2>…-<dense>`);
  const features = sampleShape.reduce((a, b) => a * b, 1);
  if (m[1] === 'mlp') {
    const hidden = m[2]!.split('x').map(Number);
    if (hidden.some((h) => !Number.isInteger(h) || h < 1)) throw new DistillConfigError(`bad mlp sizes in "${text}"`);
    return mlp([features, ...hidden, numClasses], { dropout });
  }
  const nums = m[2]!.split('-').map(Number);
  if (nums.length < 2 || nums.some((h) => !Number.isInteger(h) || h < 0)) throw new DistillConfigError(`bad cnn sizes in "${text}"`);
  return cnn({ channels: nums.slice(0, -1), dense: nums[nums.length - 1]!, numClasses, inputShape: imageShape(sampleShape), dropout });
}

/** Writes a spec in the model-spec grammar, so that parseModelSpec(formatModelSpec(s)) builds the same layers. */
export function formatModelSpec(spec: ModelSpec): string {
  const dense = spec.layers.flatMap((l) => (l.kind === 'dense' ? [l.units] : []));
  const hiddenDense = dense.slice(0, -1); // the last dense layer is the classifier
  if (spec.family === 'mlp') return `mlp:${hiddenDense.join('x')}`;
  const convs = spec.layers.flatMap((l) => (l.kind === 'conv2d' ? [l.filters] : []));
  return `cnn:${[...convs, hiddenDense[0] ?? 0].join('-')}`;
}
