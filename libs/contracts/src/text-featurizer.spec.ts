import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DesiredStateMessage, EvalSetFormatError, FeaturizerError, decodeAnyEvalSet, encodeEvalSet, encodeTextEvalSet, featurize, featurizerProblem,
  murmur3, normalizeText, parseFeaturizer, signDesiredState, generateSigningKeyPair, keyIdOf, validateAs, verifyDesiredState, type FeaturizerSpec,
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
  assert.match(featurizerProblem({ ...spec, version: 2 })!, /version 2 is not supported/);
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
