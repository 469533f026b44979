import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DesiredStateMessage, EvalSetFormatError, FeaturizerError, decodeAnyEvalSet, encodeEvalSet, encodeTextEvalSet, featurize, featurizerProblem,
  evalSetProblems, featurizeSparse, featurizerView, murmur3, murmur3Utf32, normalizeText, parseFeaturizer, signDesiredState, sparseBatch, generateSigningKeyPair, keyIdOf,
  validateAs, verifyDesiredState, type FeaturizerSpec,
} from './index';

const spec: FeaturizerSpec = { id: 'hashed-ngrams', version: 1, charMin: 1, charMax: 3, wordMin: 1, wordMax: 2, seed: 7, buckets: 16, maxChars: 64 };
const hash = (s: string, seed: number) => { const b = Buffer.from(s, 'utf8'); return murmur3(b, 0, b.length, seed); };

test('murmur3 matches the reference MurmurHash3_x86_32 test vectors', () => {
  assert.equal(hash('', 0), 0);
  assert.equal(hash('', 1), 0x514e28b7);
  assert.equal(hash('a', 0), 0x3c2569b2);
  assert.equal(hash('abc', 0), 0xb3dd93fa);
  assert.equal(hash('test', 0), 0xba6bd213);
  assert.equal(hash('Hello, world!', 1234), 0xfaf6cdb3);
  assert.equal(hash('The quick brown fox jumps over the lazy dog', 0), 0x2e4ff723);
});

test('normalisation: NFKC, lower case, one space for any run of white space or control characters', () => {
  assert.equal(normalizeText('  Ünïcode  CAFÉ\t\u0000spam!\r\n ﬁ '), 'ünïcode café spam! fi');
});

test('featurize follows the written steps (n-grams composed by hand from the spec)', () => {
  const s: FeaturizerSpec = { ...spec, charMin: 1, charMax: 2, wordMin: 1, wordMax: 2, buckets: 1024, seed: 3 };
  const counts = new Map<number, number>();
  const add = (g: string, seed: number) => { const b = hash(g, seed) % 1024; counts.set(b, (counts.get(b) ?? 0) + 1); };
  for (const g of [' ', 'a', 'b', ' ', 'c', ' ', ' a', 'ab', 'b ', ' c', 'c ']) add(g, 3); // " ab c " chars, n = 1, 2
  for (const g of ['ab', 'c', 'ab c']) add(g, 4); // words n = 1, 2 with seed + 1
  const expected = new Float32Array(1024);
  for (const [b, c] of counts) expected[b] = Math.log1p(c);
  const norm = Math.hypot(...expected);
  const got = featurize(s, 'AB  c');
  for (let i = 0; i < 1024; i++) assert.ok(Math.abs(got[i]! - expected[i]! / norm) < 1e-6, `bucket ${i}`);
});

test('golden vectors: a change to what a spec computes must bump its version', () => {
  const golden = [0.286982, 0.20445, 0.237359, 0.20445, 0.20445, 0.264248, 0.324046, 0.264248, 0.286982, 0.237359, 0.324046, 0.162023, 0.237359, 0.237359, 0.162023, 0.286982];
  const v = featurize(spec, 'Ünïcode  CAFÉ\tspam! ﬁ');
  golden.forEach((g, i) => assert.ok(Math.abs(v[i]! - g) < 1e-6, `bucket ${i}: ${v[i]} ≠ ${g}`));
  // Truncation counts code points after normalisation: 2 chars of "ÜX…" keep "üx".
  assert.deepEqual(featurize({ ...spec, maxChars: 2 }, 'ÜXYZ'), featurize(spec, 'üx'));
  assert.ok(featurize(spec, '   ').every((x) => x === 0), 'empty text → zero vector');
});

test('unknown featurizers are refused with a reason', () => {
  assert.equal(featurizerProblem(spec), undefined);
  assert.match(featurizerProblem({ ...spec, id: 'bpe' })!, /unknown text featurizer "bpe"/);
  assert.match(featurizerProblem({ ...spec, version: 4 })!, /version 4 is not supported \(this agent knows version 1, 2, 3\)/);
  assert.match(featurizerProblem({ ...spec, version: 3 })!, /layout must be "dense" or "sparse"/);
  assert.match(featurizerProblem({ ...spec, version: 2 })!, /layout must be "dense" or "sparse"/);
  assert.match(featurizerProblem({ ...spec, layout: 'sparse' })!, /unknown fields: layout/, 'version 1 has no layout');
  assert.equal(featurizerProblem({ ...spec, version: 2, layout: 'sparse' }), undefined);
  assert.match(featurizerProblem({ ...spec, buckets: 0 })!, /buckets/);
  assert.match(featurizerProblem({ ...spec, extra: 1 })!, /unknown fields: extra/);
  assert.throws(() => parseFeaturizer({ ...spec, charMin: 4 }), FeaturizerError);
});

test('text eval sets: featurized with the manifest featurizer; bad ones get clear errors', () => {
  const bytes = encodeTextEvalSet({ inputName: 'x', labels: ['ham', 'spam'], samples: [{ text: 'hello', label: 0 }, { text: 'WIN money', label: 1 }] });
  const set = decodeAnyEvalSet(bytes, spec);
  assert.deepEqual([set.n, set.numClasses, set.sampleShape, Array.from(set.y)], [2, 2, [16], [0, 1]]);
  assert.deepEqual(set.x.subarray(16, 32), featurize(spec, 'win money'));
  assert.throws(() => decodeAnyEvalSet(bytes), /names no featurizer/);
  const bad = (o: object) => assert.throws(() => decodeAnyEvalSet(Buffer.from(JSON.stringify({ format: 'efev-text', version: 1, inputName: '', labels: ['a', 'b'], ...o })), spec), EvalSetFormatError);
  bad({ samples: [] });
  bad({ samples: [{ text: '', label: 0 }] });
  bad({ samples: [{ text: 'x', label: 2 }] });
  assert.throws(() => decodeAnyEvalSet(Buffer.from([0x7b, 0xff, 0xfe]), spec), /not UTF-8 JSON/);
  // The binary format still decodes through the same door.
  const bin = encodeEvalSet({ inputName: '', sampleShape: [2], numClasses: 2, x: new Float32Array(2), y: new Int32Array(1), n: 1 });
  assert.equal(decodeAnyEvalSet(bin).n, 1);
});

test('the featurizer travels in the signed manifest, and any change to it breaks the signature', () => {
  const msg: Omit<DesiredStateMessage, 'signature'> = {
    v: 1, deploymentId: 'd', deviceId: 'dev-1', seq: 1, issuedAt: '2026-11-30T00:00:00.000Z', expiresAt: '2026-12-07T00:00:00.000Z',
    keyId: '0123456789abcdef', gates: { maxLatencyP95Ms: 5 },
    artifact: { id: 'a', name: 'spam', version: '1', precision: 'int8', sha256: 'ab'.repeat(32), size: 10, blockSize: 65536, featurizer: { ...spec } },
  };
  const checked = validateAs(DesiredStateMessage, msg);
  assert.ok(checked.ok, JSON.stringify(checked));
  // An unknown featurizer still validates as a message, so the agent can refuse it with a reason.
  assert.ok(validateAs(DesiredStateMessage, { ...msg, artifact: { ...msg.artifact, featurizer: { id: 'future', version: 9, x: 1 } } }).ok);
  const keys = generateSigningKeyPair();
  msg.keyId = keyIdOf(keys.publicKeyPem);
  const signature = signDesiredState(msg, keys.privateKeyPem);
  assert.ok(verifyDesiredState({ ...msg, signature }, [keys.publicKeyPem]));
  const tampered = { ...msg, artifact: { ...msg.artifact, featurizer: { ...spec, seed: 8 } }, signature };
  assert.equal(verifyDesiredState(tampered, [keys.publicKeyPem]), false);
});

// Version 2: the n-gram's code points as UTF-32LE are what MurmurHash3 hashes; the vector is otherwise version 1's.
const v2: FeaturizerSpec = { ...spec, version: 2, layout: 'sparse' };
const utf32 = (s: string) => { const cps = [...s]; const b = Buffer.alloc(4 * cps.length); cps.forEach((c, i) => b.writeUInt32LE(c.codePointAt(0)!, 4 * i)); return b; };
const hash32 = (s: string, seed: number) => { const b = utf32(s); return murmur3(b, 0, b.length, seed); };

test('version 2 hashes code points as UTF-32LE with MurmurHash3 (the incremental pass equals the reference hash)', () => {
  for (const [s, seed] of [['', 0], ['a', 0], ['😀a', 0], ['ab c', 9], ['Ünï', 0xffffffff]] as const) assert.equal(murmur3Utf32(s, seed), hash32(s, seed), s);
  assert.equal(murmur3Utf32('😀a', 0), 0xd1ba0b07);
});

test('version 2 follows the written steps (n-grams composed by hand, hashed from scratch), dense and sparse alike', () => {
  const s: FeaturizerSpec = { ...v2, charMin: 1, charMax: 2, wordMin: 1, wordMax: 2, buckets: 1024, seed: 3 };
  const counts = new Map<number, number>();
  const add = (g: string, seed: number) => { const b = hash32(g, seed) % 1024; counts.set(b, (counts.get(b) ?? 0) + 1); };
  for (const g of [' ', 'a', '😀', ' ', 'c', ' ', ' a', 'a😀', '😀 ', ' c', 'c ']) add(g, 3); // " a😀 c " chars, n = 1, 2
  for (const g of ['a😀', 'c', 'a😀 c']) add(g, 4); // words n = 1, 2 with seed + 1
  const expected = new Float32Array(1024);
  for (const [b, c] of counts) expected[b] = Math.log1p(c);
  const norm = Math.hypot(...expected);
  const got = featurize(s, 'A😀  c');
  for (let i = 0; i < 1024; i++) assert.ok(Math.abs(got[i]! - expected[i]! / norm) < 1e-6, `bucket ${i}`);
  const sparse = featurizeSparse(s, 'A😀  c');
  assert.deepEqual([...sparse.indices].sort((a, b) => a - b), [...counts.keys()].sort((a, b) => a - b));
  sparse.indices.forEach((b, k) => assert.equal(sparse.values[k], got[b]));
  // A non-power-of-two bucket count takes the modulo of the unsigned hash.
  const odd = featurize({ ...s, buckets: 1000, charMax: 1, wordMax: 0, wordMin: 0 }, 'z');
  assert.deepEqual([...odd.keys()].filter((i) => odd[i] !== 0).sort((a, b) => a - b), [...new Set([hash32(' ', 3) % 1000, hash32('z', 3) % 1000])].sort((a, b) => a - b));
});

test('version 2 golden vector, truncation, empty text and padded sparse batches', () => {
  const golden = [0.276661, 0.228823, 0.228823, 0.156196, 0.156196, 0.197097, 0.353293, 0.228823, 0.254744, 0.327371, 0.156196, 0.254744, 0.276661, 0.228823, 0.353293, 0.197097];
  const v = featurize(v2, 'Ünïcode  CAFÉ\tspam! ﬁ 😀');
  golden.forEach((g, i) => assert.ok(Math.abs(v[i]! - g) < 1e-6, `bucket ${i}: ${v[i]} ≠ ${g}`));
  assert.deepEqual(featurize({ ...v2, maxChars: 2 }, 'Ü😀YZ'), featurize(v2, 'ü😀'));
  // A truncation that ends in a space ("ab cd" → "ab ") keeps an empty last word, as version 1 does.
  const cut = featurizeSparse({ ...v2, maxChars: 3, charMax: 1, wordMax: 1, buckets: 1 << 20 }, 'ab cd');
  const want = [hash32(' ', 7), hash32('a', 7), hash32('b', 7), hash32('ab', 8), hash32('', 8)].map((h) => h % (1 << 20));
  assert.deepEqual([...cut.indices].sort((a, b) => a - b), want.sort((a, b) => a - b));
  assert.equal(featurizeSparse(v2, ' \t ').indices.length, 0);
  const b = sparseBatch(v2, ['hello world', 'x']);
  const first = featurizeSparse(v2, 'hello world');
  assert.equal(b.width, first.indices.length);
  const second = featurizeSparse(v2, 'x');
  assert.deepEqual([...b.indices.subarray(b.width, b.width + second.indices.length)], [...second.indices]);
  assert.ok(b.weights.subarray(b.width + second.indices.length).every((w) => w === 0), 'padding has weight 0');
});

test('versions 2 and 3: the single pass equals the written steps on random text (white space, controls, surrogates, truncation)', () => {
  // Reference: step 1 (version 3: white space only), truncation, then every n-gram hashed from scratch.
  const reference = (sp: FeaturizerSpec, text: string) => {
    const cps = [...(sp.version === 3 ? text.replace(/[\s\p{Cc}]+/gu, ' ').trim() : normalizeText(text))].slice(0, sp.maxChars);
    assert.equal(featurizerView(sp, text), cps.join(''));
    const counts = new Map<number, number>();
    const add = (g: string, seed: number) => { const b = hash32(g, seed) % sp.buckets; counts.set(b, (counts.get(b) ?? 0) + 1); };
    if (cps.length === 0) return counts;
    const padded = [' ', ...cps, ' '];
    for (let n = sp.charMin; n <= sp.charMax; n++) for (let i = 0; i + n <= padded.length; i++) add(padded.slice(i, i + n).join(''), sp.seed);
    const words = cps.join('').split(' ');
    for (let n = sp.wordMin; n <= sp.wordMax; n++) for (let i = 0; i + n <= words.length; i++) add(words.slice(i, i + n).join(' '), sp.seed + 1);
    return counts;
  };
  const alphabet = ['a', 'B', 'é', 'Ü', 'ﬁ', '😀', ' ', '  ', '\t', '\n', '\u0000', '\u0085', '\u00a0', '\u2003', '\u3000', '\ufeff', '\u200b', 'я', '中', '\ud800'];
  let r = 12345;
  const rand = (n: number) => { r = (Math.imul(r, 1103515245) + 12345) >>> 0; return r % n; };
  const s: FeaturizerSpec = { ...v2, charMin: 1, charMax: 3, wordMin: 1, wordMax: 2, buckets: 1 << 20, seed: 5 };
  for (let k = 0; k < 300; k++) {
    const text = Array.from({ length: rand(40) }, () => alphabet[rand(alphabet.length)]).join('');
    const sp: FeaturizerSpec = { ...s, maxChars: 1 + rand(30), version: k % 2 ? 3 : 2 };
    const want = reference(sp, text);
    const got = featurizeSparse(sp, text);
    assert.deepEqual([...got.indices].sort((a, b) => a - b), [...want.keys()].sort((a, b) => a - b), JSON.stringify({ text, maxChars: sp.maxChars }));
    const norm = Math.hypot(...[...want.values()].map((c) => Math.log1p(c)));
    got.indices.forEach((b, i) => assert.ok(Math.abs(got.values[i]! - Math.log1p(want.get(b)!) / norm) < 1e-6));
  }
});

test('version 3 golden vector: case and code points kept, white space still collapsed', () => {
  const v3: FeaturizerSpec = { ...v2, version: 3 };
  const v = featurize(v3, 'Ünïcode  CAFÉ\tspam! ﬁ 😀');
  const golden = [0.256247, 0.198259, 0.278292, 0.157117, 0.278292, 0.256247, 0.314234, 0.256247, 0.256247, 0.314234, 0.09913, 0.230172, 0.198259, 0.278292, 0.297389, 0.230172];
  golden.forEach((g, i) => assert.ok(Math.abs(v[i]! - g) < 1e-6, `bucket ${i}: ${v[i]} ≠ ${g}`));
  assert.notDeepEqual(featurize(v3, 'Spam'), featurize(v3, 'spam'), 'case is a feature');
  assert.notDeepEqual(featurize(v3, 'ﬁ'), featurize(v3, 'fi'), 'no NFKC');
  assert.deepEqual(featurize(v3, ' a \t\u0000 b '), featurize(v3, 'a b'));
  assert.deepEqual(featurize(v2, 'Spam'), featurize(v2, 'spam'));
});

test('a sparse-layout eval set needs the model inputs indices (int32) and weights (float32)', () => {
  const bytes = encodeTextEvalSet({ inputName: '', labels: ['a', 'b'], samples: [{ text: 'hello', label: 0 }] });
  const set = decodeAnyEvalSet(bytes, v2);
  assert.equal(set.sparse, true);
  assert.equal(decodeAnyEvalSet(bytes, spec).sparse, undefined);
  const out = [{ name: 'logits', type: 'float32', dims: ['batch', 2] }];
  assert.deepEqual(evalSetProblems(set, [{ name: 'indices', type: 'int32', dims: ['batch', 'n'] }, { name: 'weights', type: 'float32', dims: ['batch', 'n'] }], out), []);
  assert.match(evalSetProblems(set, [{ name: 'x', type: 'float32', dims: ['batch', 16] }], out).join(), /sparse layout feeds inputs indices and weights/);
  assert.match(evalSetProblems(set, [{ name: 'indices', type: 'int64', dims: ['batch', 'n'] }, { name: 'weights', type: 'float32', dims: ['batch', 'n'] }], out).join(), /input "indices" is int64/);
});
