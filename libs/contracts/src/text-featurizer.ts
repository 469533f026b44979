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
 *
 * Version 2 computes the same vector except for step 4's bytes: an n-gram is hashed as its code points in UTF-32LE
 * (4 bytes each; the joining space of word n-grams is the code point 0x20), not UTF-8. Each code point is then one
 * MurmurHash3 block, so every n-gram starting at a position comes out of one incremental pass over at most
 * `charMax` code points (the finalisation mixes in the length), with no UTF-8 encoding: ~6× faster in JavaScript.
 * Version 2 also says how the model takes the vector (`layout`): `dense`, one float32 input [batch, buckets];
 * or `sparse`, an embedding bag: int32 `indices` [batch, n] and float32 `weights` [batch, n], the non-zero buckets
 * of the same vector in any order, rows padded with index 0 and weight 0 (`toModelInputs`).
 *
 * Version 3 is version 2 without NFKC and lower casing in step 1 (white space and control characters are still
 * collapsed and trimmed): the text's case and code points as the teacher reads them. fastText's lid.176 is case
 * sensitive; on the UDHR held-out paragraphs its own top-1 changes on 2 % of them when they are lower-cased and on
 * 3 % after all of version 2's step 1, which a version 2 student cannot see (docs/text.md).
 */
export const FEATURIZER_METADATA_KEY = 'edgefleet.featurizer';

export interface HashedNgramsSpec {
  id: 'hashed-ngrams';
  version: 1 | 2 | 3;
  /** Char n-gram lengths, inclusive (0, 0 = none). */
  charMin: number;
  charMax: number;
  /** Word n-gram lengths, inclusive (0, 0 = none). */
  wordMin: number;
  wordMax: number;
  seed: number;
  buckets: number;
  maxChars: number;
  /** Versions 2 and 3 (required there): how the model takes the vector. Version 1 is always dense. */
  layout?: FeaturizerLayout;
}

export type FeaturizerLayout = 'dense' | 'sparse';
export type FeaturizerSpec = HashedNgramsSpec;

/** The ids and versions this build can run; anything else is refused with `featurizerProblem`'s reason. */
export const KNOWN_FEATURIZERS: Readonly<Record<string, readonly number[]>> = { 'hashed-ngrams': [1, 2, 3] };

/** Names of a sparse-layout model's inputs (docs/text.md). */
export const SPARSE_INPUTS = { indices: 'indices', weights: 'weights' } as const;

export const layoutOf = (spec: FeaturizerSpec): FeaturizerLayout => spec.layout ?? 'dense';

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
  if (s.version !== 1 && s.layout !== 'dense' && s.layout !== 'sparse') return `featurizer layout must be "dense" or "sparse", got ${String(s.layout)}`;
  const fields = ['id', 'version', 'charMin', 'charMax', 'wordMin', 'wordMax', 'seed', 'buckets', 'maxChars', ...(s.version !== 1 ? ['layout'] : [])];
  const extra = Object.keys(s).filter((k) => !fields.includes(k));
  if (extra.length) return `featurizer has unknown fields: ${extra.join(', ')}`;
  return undefined;
}

/** `raw` as a spec this build runs, or a FeaturizerError with the reason. */
export function parseFeaturizer(raw: unknown): FeaturizerSpec {
  const problem = featurizerProblem(raw);
  if (problem) throw new FeaturizerError(problem);
  return raw as FeaturizerSpec;
}

/** Step 1 of the spec (versions 1 and 2). */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\s\p{Cc}]+/gu, ' ').trim();
}

/**
 * Steps 1 and 2 as plain text: what a student with this featurizer gets to see of `text` (benchmarks ask the teacher
 * about it to learn how much of its decision the featurizer throws away).
 */
export function featurizerView(spec: FeaturizerSpec, text: string): string {
  const norm = spec.version === 3 ? text.replace(/[\s\p{Cc}]+/gu, ' ').trim() : normalizeText(text);
  return [...norm].slice(0, spec.maxChars).join('');
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
  if (spec.version !== 1) {
    const { indices, values } = featurizeSparse(spec, text);
    for (let i = 0; i < indices.length; i++) out[indices[i]!] = values[i]!;
    return out;
  }
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

/** The non-zero buckets of `featurize(spec, text)` and their values (version 2: first-seen order). */
export interface SparseFeatures {
  indices: Int32Array;
  values: Float32Array;
}

/** Version 2's scratch per bucket count, reused and reset by every call: counts, code points, word bounds, buckets hit. */
interface Scratch { counts: Int32Array; cps: Int32Array; starts: Int32Array; ends: Int32Array; hits: Int32Array }
const scratches = new Map<number, Scratch>();

function scratchFor(spec: FeaturizerSpec, chars: number): Scratch {
  let s = scratches.get(spec.buckets);
  const hits = (chars + 2) * (spec.charMax + spec.wordMax);
  if (!s || s.cps.length < chars + 2 || s.hits.length < hits) {
    const len = Math.max(chars + 2, s?.cps.length ?? 0, 512);
    s = { counts: s?.counts ?? new Int32Array(spec.buckets), cps: new Int32Array(len), starts: new Int32Array(len), ends: new Int32Array(len), hits: new Int32Array(Math.max(hits, s?.hits.length ?? 0, 4096)) };
    scratches.set(spec.buckets, s);
  }
  return s;
}

/** One MurmurHash3 x86 32-bit block: the state after mixing the little-endian 4-byte word `k` into `h`. */
function mixBlock(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3's finalisation of a state after `byteLength` bytes of blocks, as int32 bits (`>>> 0` for the value). */
function finish(h: number, byteLength: number): number {
  h ^= byteLength;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** hash mod buckets of int32 hash bits; a mask when buckets is a power of two (stays in small integers: faster). */
const bucketOf = (buckets: number): ((h: number) => number) => {
  const mask = buckets - 1;
  return (buckets & mask) === 0 ? (h) => h & mask : (h) => (h >>> 0) % buckets;
};

/** `\s` or `\p{Cc}` of step 1's regex, for one UTF-16 unit (all of them are in the BMP). */
function isSpaceOrControl(c: number): boolean {
  if (c <= 0x20) return true;
  if (c < 0x7f) return false;
  if (c <= 0xa0) return true; // 0x7f–0x9f controls, 0xa0 no-break space
  if (c < 0x1680) return false;
  return c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** log1p of the small counts most n-grams have: Math.log1p's own values, looked up (the same floats, less time). */
const LOG1P = Float64Array.from({ length: 64 }, (_, c) => Math.log1p(c));

/** MurmurHash3 x86 32-bit of a string's code points as UTF-32LE: version 2's n-gram hash, one n-gram at a time. */
export function murmur3Utf32(text: string, seed: number): number {
  let h = seed | 0;
  let n = 0;
  for (const ch of text) { h = mixBlock(h, ch.codePointAt(0)!); n++; }
  return finish(h, 4 * n) >>> 0;
}

/**
 * The featurizer's vector as its non-zero buckets. Versions 2 and 3 compute it directly (cost grows with the text, not
 * with `buckets`): this is the fast path of sparse-layout models. Version 1 goes through the dense vector.
 */
export function featurizeSparse(spec: FeaturizerSpec, text: string): SparseFeatures {
  if (spec.version === 1) {
    const dense = featurize(spec, text);
    const indices: number[] = [];
    dense.forEach((v, i) => { if (v !== 0) indices.push(i); });
    return { indices: Int32Array.from(indices), values: Float32Array.from(indices, (i) => dense[i]!) };
  }
  // Step 1's NFKC and lower case here (not in version 3); its white-space collapsing and trimming in the loop below (the regex pass
  // cost as much as all the hashing).
  const norm = spec.version === 3 ? text : text.normalize('NFKC').toLowerCase();
  const B = spec.buckets;
  const s = scratchFor(spec, Math.min(norm.length, spec.maxChars));
  const { counts, cps, hits } = s;
  const bucket = bucketOf(B);
  // Code points of " " + text + " " (the first maxChars of the normalised text), without materialising a UTF-8 copy.
  let len = 1;
  cps[0] = 0x20;
  const end = spec.maxChars + 1;
  let space = false; // a run of white space or control characters after a kept code point: one space, if more follows
  for (let i = 0; i < norm.length; i++) {
    let c = norm.charCodeAt(i);
    if (isSpaceOrControl(c)) { space = len > 1; continue; }
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < norm.length) {
      const lo = norm.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo < 0xe000) { c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00); i++; }
    }
    if (space) { if (len >= end) break; cps[len++] = 0x20; space = false; }
    if (len >= end) break;
    cps[len++] = c;
  }
  if (len === 1) return { indices: new Int32Array(0), values: new Float32Array(0) };
  cps[len++] = 0x20;
  let m = 0; // buckets hit, in order
  if (spec.charMax > 0) {
    const lo = Math.max(1, spec.charMin);
    const seed = spec.seed | 0;
    for (let i = 0; i < len; i++) {
      let h = seed;
      const top = Math.min(spec.charMax, len - i);
      for (let n = 1; n <= top; n++) {
        h = mixBlock(h, cps[i + n - 1]!);
        if (n >= lo) hits[m++] = bucket(finish(h, 4 * n));
      }
    }
  }
  if (spec.wordMax > 0) {
    // Words of the text (cps[1 .. len-2]): single spaces separate them after normalisation.
    const { starts, ends } = s;
    let words = 0;
    starts[0] = 1;
    for (let i = 1; i < len - 1; i++) if (cps[i] === 0x20) { ends[words++] = i; starts[words] = i + 1; }
    ends[words++] = len - 1;
    const lo = Math.max(1, spec.wordMin);
    const seed = (spec.seed + 1) | 0;
    for (let w = 0; w < words; w++) {
      let h = seed;
      let j = starts[w]!;
      // Word n-gram w..w+n-1 runs from starts[w] to ends[w+n-1], the joining spaces included.
      for (let n = 1; n <= spec.wordMax && w + n <= words; n++) {
        const end = ends[w + n - 1]!;
        for (; j < end; j++) h = mixBlock(h, cps[j]!);
        if (n >= lo) hits[m++] = bucket(finish(h, 4 * (end - starts[w]!)));
      }
    }
  }
  let nt = 0;
  for (let i = 0; i < m; i++) { const b = hits[i]!; if (counts[b]++ === 0) hits[nt++] = b; } // nt ≤ i: in place
  const indices = hits.slice(0, nt);
  const values = new Float32Array(nt);
  let sq = 0;
  for (let i = 0; i < nt; i++) {
    const b = indices[i]!;
    const c = counts[b]!;
    const v = c < LOG1P.length ? LOG1P[c]! : Math.log1p(c);
    counts[b] = 0;
    values[i] = v;
    sq += v * v;
  }
  const inv = 1 / Math.sqrt(sq);
  for (let i = 0; i < nt; i++) values[i]! *= inv;
  return { indices, values };
}

/**
 * A batch of texts as a sparse-layout model's inputs: `indices` and `weights`, n × width row-major, each row padded
 * with index 0 and weight 0 to the batch's widest row (at least 1).
 */
export function sparseBatch(spec: FeaturizerSpec, texts: readonly string[]): { indices: Int32Array; weights: Float32Array; width: number } {
  const rows = texts.map((t) => featurizeSparse(spec, t));
  const width = Math.max(1, ...rows.map((r) => r.indices.length));
  const indices = new Int32Array(texts.length * width);
  const weights = new Float32Array(texts.length * width);
  rows.forEach((r, i) => { indices.set(r.indices, i * width); weights.set(r.values, i * width); });
  return { indices, weights, width };
}
