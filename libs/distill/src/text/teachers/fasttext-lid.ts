import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TextSplit } from '../text-dataset';
import { cacheKey, cachedRows } from './teacher-cache';
import type { TeacherOutput, TeacherRunOptions, TextTeacher } from './teacher';

interface LidModel { predict(text: string, k: number, threshold: number): { size(): number; get(i: number): [number, string] } }

const ASSETS = () => join(dirname(require.resolve('fasttext.wasm.js')), '..', 'models', 'language-identification', 'assets');
const MODEL_ID = 'fasttext-lid/lid.176.ftz@fasttext.wasm.js-1.0.0';
/** fastText reads one line: newlines end the input, so they become spaces (part of the cache key). */
const PREPROCESSING = 'newlines-to-spaces';

/** lid.176's labels (fastText's Wikipedia codes) with their ISO 639-3 codes, in the teacher's class order. */
export async function lid176Languages(): Promise<{ code: string; alpha3: string; name: string }[]> {
  const table = JSON.parse(await readFile(join(ASSETS(), 'languages.json'), 'utf8')) as Record<string, { alpha3: string; refName: string }>;
  return Object.keys(table).sort().map((code) => ({ code, alpha3: table[code]!.alpha3, name: table[code]!.refName }));
}

/** The fastText language identifier, loaded once per process (its wasm module is a singleton). */
export async function loadLid(): Promise<LidModel> {
  const { getLIDModel } = await import('fasttext.wasm.js');
  const m = await getLIDModel();
  return (await m.load()) as unknown as LidModel;
}

/** Full probability vector over `codes` for one text (fastText omits classes below float precision: 0). */
export function lidProbabilities(model: LidModel, index: Map<string, number>, text: string, out: Float32Array): void {
  const r = model.predict(text.replace(/[\r\n]+/g, ' '), index.size, 0);
  for (let i = 0; i < r.size(); i++) {
    const [p, label] = r.get(i);
    const k = index.get(label.replace('__label__', ''));
    if (k !== undefined) out[k] = p;
  }
}

/**
 * fastText's lid.176 (CC BY-SA 3.0, shipped in `fasttext.wasm.js`, MIT): its probabilities over 176 languages are
 * the soft labels, so the transfer set needs no human labels at all (Hinton's transfer set). The classes are the
 * model's own language codes; a data set's labels are ignored.
 */
export class FastTextLidTeacher implements TextTeacher {
  readonly name = 'fasttext-lid';

  async label(data: TextSplit, o: TeacherRunOptions): Promise<TeacherOutput> {
    const langs = await lid176Languages();
    const classes = langs.map((l) => l.code);
    const index = new Map(classes.map((c, i) => [c, i]));
    const model = await loadLid();
    const K = classes.length;
    const compute = async (batch: readonly string[]) => {
      const out = new Float32Array(batch.length * K);
      batch.forEach((t, i) => lidProbabilities(model, index, t, out.subarray(i * K, (i + 1) * K)));
      return out;
    };
    const run = (texts: string[], what: string) =>
      cachedRows(o.cacheDir, cacheKey(MODEL_ID, PREPROCESSING, texts), texts, K, compute, (p) => o.onProgress?.(what, p), 256);
    const train = await run(data.train.texts, 'teacher fasttext-lid (train)');
    const test = await run(data.test.texts, 'teacher fasttext-lid (test)');
    const computed = [train, test].filter((r) => !r.hit);
    const textsLabelled = (train.hit ? 0 : data.train.texts.length) + (test.hit ? 0 : data.test.texts.length);
    const labelSeconds = computed.reduce((a, r) => a + r.computeMs, 0) / 1000;
    const bytes = (await readFile(join(ASSETS(), 'lid.176.ftz'))).byteLength;
    return {
      classes, train: train.values, test: test.values, name: 'fasttext-lid (lid.176.ftz)', bytes,
      cost: { labelSeconds, textsLabelled, textsPerSec: textsLabelled ? textsLabelled / Math.max(labelSeconds, 1e-6) : undefined, cacheHit: computed.length === 0 },
    };
  }
}
