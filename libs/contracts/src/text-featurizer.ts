/**
 * The text featurizer shared by the trainer (libs/distill) and the device agent: text → a dense float32 vector of
 * `buckets` hashed character and word n-gram weights, the input of a text student. The trainer writes the spec
 * into the model's ONNX metadata (`edgefleet.featurizer`) and the control plane into the signed manifest; both
 * sides run this one implementation, pinned by golden vectors (text-featurizer.spec.ts). Changing what a spec
 * computes needs a new `version`: an agent refuses ids and versions it does not know (docs/text.md).
 *
 * Version 1 of `hashed-ngrams`:
 *   1. normalise: Unicode NFKC, lower case (`toLowerCase`, locale independent), control characters and every run
 *      of white space → one space, trimmed;
 *   2. truncate to `maxChars` code points; an empty result gives the zero vector;
 *   3. char n-grams (n = charMin…charMax, over code points) of the text padded with one space on each side;
 *      word n-grams (n = wordMin…wordMax) of the space-separated words, joined by one space;
 *   4. each n-gram's UTF-8 bytes → MurmurHash3 x86 32-bit with `seed` (char n-grams) or `seed + 1` mod 2³²
 *      (word n-grams) → bucket `hash mod buckets`, count += 1;
 *   5. weights log(1 + count), then the vector is scaled to unit L2 norm (all zeros stay zeros).
 */
export const FEATURIZER_METADATA_KEY = 'edgefleet.featurizer';

export interface HashedNgramsSpec {
  id: 'hashed-ngrams';
  version: 1;
  /** Char n-gram lengths, inclusive (0, 0 = none). */
  charMin: number;
  charMax: number;
  /** Word n-gram lengths, inclusive (0, 0 = none). */
  wordMin: number;
  wordMax: number;
  seed: number;
  buckets: number;
  maxChars: number;
}

export type FeaturizerSpec = HashedNgramsSpec;

/** The ids and versions this build can run; anything else is refused with `featurizerProblem`'s reason. */
export const KNOWN_FEATURIZERS: Readonly<Record<string, readonly number[]>> = { 'hashed-ngrams': [1] };

export class FeaturizerError extends Error {
  override name = 'FeaturizerError';
}

const MAX_BUCKETS = 1 << 20;
const MAX_NGRAM = 8;

/**
 * Why this build cannot run `raw` as a featurizer (unknown id or version, or bad parameters), or undefined when it
 * can. Used by the agent before it fetches a model and by the trainer before it writes one.
 */
export function featurizerProblem(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object') return 'featurizer must be an object';
  const s = raw as Record<string, unknown>;
  const versions = typeof s.id === 'string' ? KNOWN_FEATURIZERS[s.id] : undefined;
  if (!versions) return `unknown text featurizer "${String(s.id)}" (this agent knows ${Object.keys(KNOWN_FEATURIZERS).join(', ')})`;
  if (!versions.includes(s.version as number)) return `text featurizer ${String(s.id)} version ${String(s.version)} is not supported (this agent knows version ${versions.join(', ')})`;
  const int = (k: string, lo: number, hi: number) => (Number.isInteger(s[k]) && (s[k] as number) >= lo && (s[k] as number) <= hi ? undefined : `featurizer ${k} must be an integer in ${lo}..${hi}, got ${String(s[k])}`);
  const problems = [
    int('charMin', 0, MAX_NGRAM), int('charMax', 0, MAX_NGRAM), int('wordMin', 0, MAX_NGRAM), int('wordMax', 0, MAX_NGRAM),
    int('seed', 0, 0xffffffff), int('buckets', 1, MAX_BUCKETS), int('maxChars', 1, 1_000_000),
  ].filter((p): p is string => p !== undefined);
  if (problems.length) return problems.join('; ');
  if ((s.charMin as number) > (s.charMax as number) || (s.wordMin as number) > (s.wordMax as number)) return 'featurizer n-gram ranges must have min ≤ max';
  if ((s.charMax as number) === 0 && (s.wordMax as number) === 0) return 'featurizer has neither char nor word n-grams';
  const extra = Object.keys(s).filter((k) => !['id', 'version', 'charMin', 'charMax', 'wordMin', 'wordMax', 'seed', 'buckets', 'maxChars'].includes(k));
  if (extra.length) return `featurizer has unknown fields: ${extra.join(', ')}`;
  return undefined;
}

/** `raw` as a spec this build runs, or a FeaturizerError with the reason. */
export function parseFeaturizer(raw: unknown): FeaturizerSpec {
  const problem = featurizerProblem(raw);
  if (problem) throw new FeaturizerError(problem);
  return raw as FeaturizerSpec;
}

/** Step 1 of the spec. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\s\p{Cc}]+/gu, ' ').trim();
}

/** MurmurHash3 x86 32-bit of bytes [from, to) (Austin Appleby's reference algorithm). */
export function murmur3(bytes: Uint8Array, from: number, to: number, seed: number): number {
  let h = seed >>> 0;
  const len = to - from;
  const blocks = from + (len & ~3);
  let i = from;
  for (; i < blocks; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = len & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= bytes[i + 2]! << 16;
    if (tail >= 2) k ^= bytes[i + 1]! << 8;
    k ^= bytes[i]!;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Byte offset of each code point of `s` in its UTF-8 encoding, plus the total length at the end. */
function codePointOffsets(s: string): { bytes: Uint8Array; offsets: Int32Array } {
  const bytes = Buffer.from(s, 'utf8');
  const offsets: number[] = [];
  for (let i = 0; i < bytes.length; i++) if ((bytes[i]! & 0xc0) !== 0x80) offsets.push(i);
  offsets.push(bytes.length);
  return { bytes, offsets: Int32Array.from(offsets) };
}

/**
 * Featurizes `text` into `out` (length `spec.buckets`, overwritten), or into a new vector. Only the spec's steps:
 * no state, no vocabulary, so the agent computes the same vector as the trainer did.
 */
export function featurize(spec: FeaturizerSpec, text: string, out = new Float32Array(spec.buckets)): Float32Array {
  if (out.length !== spec.buckets) throw new FeaturizerError(`output has ${out.length} values, the featurizer makes ${spec.buckets}`);
  out.fill(0);
  const norm = [...normalizeText(text)].slice(0, spec.maxChars).join('');
  const B = spec.buckets;
  if (norm.length === 0) return out; // nothing but white space: the zero vector
  if (spec.charMax > 0) {
    const { bytes, offsets } = codePointOffsets(` ${norm} `);
    const chars = offsets.length - 1;
    for (let n = Math.max(1, spec.charMin); n <= spec.charMax; n++) {
      for (let i = 0; i + n <= chars; i++) out[murmur3(bytes, offsets[i]!, offsets[i + n]!, spec.seed) % B]! += 1;
    }
  }
  if (spec.wordMax > 0) {
    const bytes = Buffer.from(norm, 'utf8');
    // Word boundaries: byte offsets of word starts and ends (spaces are single ASCII bytes after normalisation).
    const starts: number[] = [0];
    const ends: number[] = [];
    for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x20) { ends.push(i); starts.push(i + 1); }
    ends.push(bytes.length);
    const wordSeed = (spec.seed + 1) >>> 0;
    for (let n = Math.max(1, spec.wordMin); n <= spec.wordMax; n++) {
      for (let w = 0; w + n <= starts.length; w++) out[murmur3(bytes, starts[w]!, ends[w + n - 1]!, wordSeed) % B]! += 1;
    }
  }
  let sq = 0;
  for (let i = 0; i < B; i++) if (out[i] !== 0) { out[i] = Math.log1p(out[i]!); sq += out[i]! * out[i]!; }
  if (sq > 0) {
    const inv = 1 / Math.sqrt(sq);
    for (let i = 0; i < B; i++) out[i]! *= inv;
  }
  return out;
}

/** n texts → n × buckets, row-major. */
export function featurizeAll(spec: FeaturizerSpec, texts: readonly string[]): Float32Array {
  const x = new Float32Array(texts.length * spec.buckets);
  texts.forEach((t, i) => featurize(spec, t, x.subarray(i * spec.buckets, (i + 1) * spec.buckets)));
  return x;
}
