import { decodeEvalSet, EvalSetFormatError, type EvalSet } from './eval-set';
import { featurizeAll, layoutOf, type FeaturizerSpec } from './text-featurizer';

/**
 * Text eval set ("efev-text", version 1): UTF-8 JSON shipped beside a text model, for third parties too
 * (docs/text.md). The device featurizes each text with the featurizer of the signed manifest, so the file holds
 * only text and labels:
 *   { "format": "efev-text", "version": 1, "inputName": "x", "labels": ["ham", "spam"],
 *     "samples": [{ "text": "…", "label": 1 }, …] }
 * `label` is the class index into `labels`; `inputName` may be "" (the model's first input).
 */
export interface TextEvalSet {
  format: 'efev-text';
  version: 1;
  inputName: string;
  labels: string[];
  samples: { text: string; label: number }[];
}

const MAX_TEXT_CHARS = 100_000;

export function encodeTextEvalSet(set: Omit<TextEvalSet, 'format' | 'version'>): Buffer {
  return Buffer.from(JSON.stringify({ format: 'efev-text', version: 1, inputName: set.inputName, labels: set.labels, samples: set.samples }), 'utf8');
}

export function isTextEvalSet(buf: Uint8Array): boolean {
  let i = 0;
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09)) i++;
  return buf[i] === 0x7b; // '{'; binary eval sets start with "EFEV"
}

export function decodeTextEvalSet(buf: Uint8Array): TextEvalSet {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf));
  } catch (err) {
    throw new EvalSetFormatError(`text eval set is not UTF-8 JSON: ${(err as Error).message}`);
  }
  const s = raw as Partial<TextEvalSet>;
  if (s.format !== 'efev-text') throw new EvalSetFormatError(`not a text eval set (format ${JSON.stringify(s.format)}, expected "efev-text")`);
  if (s.version !== 1) throw new EvalSetFormatError(`unsupported text eval set version ${String(s.version)}`);
  if (typeof s.inputName !== 'string') throw new EvalSetFormatError('text eval set needs "inputName" (a string, may be empty)');
  if (!Array.isArray(s.labels) || s.labels.length < 2 || !s.labels.every((l) => typeof l === 'string')) throw new EvalSetFormatError('text eval set needs "labels": ≥ 2 class names');
  if (!Array.isArray(s.samples) || s.samples.length === 0) throw new EvalSetFormatError('text eval set has no samples');
  s.samples.forEach((x, i) => {
    if (typeof x?.text !== 'string' || x.text.length === 0 || x.text.length > MAX_TEXT_CHARS) throw new EvalSetFormatError(`sample ${i}: text must be a non-empty string of ≤ ${MAX_TEXT_CHARS} characters`);
    if (!Number.isInteger(x.label) || x.label < 0 || x.label >= s.labels!.length) throw new EvalSetFormatError(`sample ${i}: label ${String(x.label)} is outside 0..${s.labels!.length - 1}`);
  });
  return s as TextEvalSet;
}

/** A text eval set as the samples a model takes: every text featurized with `spec`. */
export function featurizeEvalSet(set: TextEvalSet, spec: FeaturizerSpec): EvalSet {
  return {
    inputName: set.inputName,
    sampleShape: [spec.buckets],
    numClasses: set.labels.length,
    x: featurizeAll(spec, set.samples.map((s) => s.text)),
    y: Int32Array.from(set.samples, (s) => s.label),
    n: set.samples.length,
    ...(layoutOf(spec) === 'sparse' && { sparse: true as const }),
  };
}

/**
 * Either eval set format as model samples: binary EFEV as is, text featurized with the manifest's featurizer
 * (a text eval set without one is an error, as is a featurizer given with a binary set's model).
 */
export function decodeAnyEvalSet(buf: Uint8Array, featurizer?: FeaturizerSpec): EvalSet {
  if (!isTextEvalSet(buf)) return decodeEvalSet(buf);
  if (!featurizer) throw new EvalSetFormatError('text eval set, but the manifest names no featurizer to turn its texts into model inputs');
  return featurizeEvalSet(decodeTextEvalSet(buf), featurizer);
}
