import * as ort from 'onnxruntime-node';
import { featurize, type FeaturizerSpec } from '@edgefleet/contracts';
import { FastTextLidTeacher, argmaxRows, distillText, lid176Languages, lidProbabilities, loadLid, udhrSplit, type TextSplit } from '@edgefleet/distill';
import { log, pct, percentile, row } from './text-common';

export interface LidOptions { student: string; epochs: number; cacheDir: string; featurizer: FeaturizerSpec; perLanguage?: number; trainSentences: boolean }

/**
 * Language identification with no human labels: UDHR paragraphs (languages lid.176 knows), fastText's
 * probabilities as the only teacher. Student agreement with the teacher's top-1 on held-out paragraphs, per
 * language, and per-paragraph speed of student (featurize + int8 run) vs teacher in the same run.
 */
export async function lidBench(o: LidOptions): Promise<Record<string, unknown>> {
  const raw = await udhrSplit({ lid176Only: true, perLanguage: o.perLanguage, trainSentences: o.trainSentences });
  const index = new Map(raw.labels.map((l, i) => [l, i]));
  const rows = (r: { text: string; label: string }[]) => ({ texts: r.map((x) => x.text), y: Int32Array.from(r, (x) => index.get(x.label)!) });
  const data: TextSplit = { train: rows(raw.train), test: rows(raw.test), labels: raw.labels, source: 'udhr' };
  log(`udhr: ${data.train.texts.length} train / ${data.test.texts.length} test paragraphs in ${raw.labels.length} languages`);
  const teacher = new FastTextLidTeacher();
  const t0 = performance.now();
  const r = await distillText({ data, teacher, featurizer: o.featurizer, cacheDir: o.cacheDir, students: [o.student], epochs: o.epochs, patience: 0, latency: false });
  const runSeconds = (performance.now() - t0) / 1000;
  const s = r.metrics.students[0]!;
  const int8 = r.students[0]!.int8!;
  const K = r.classes.length;

  // Per-language agreement of the int8 student with the teacher's top-1, on the held-out paragraphs.
  const session = await ort.InferenceSession.create(int8, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const input = session.inputNames[0]!;
  const B = o.featurizer.buckets;
  const n = data.test.texts.length;
  const x = new Float32Array(n * B);
  data.test.texts.forEach((t, i) => featurize(o.featurizer, t, x.subarray(i * B, (i + 1) * B)));
  const out = (await session.run({ [input]: new ort.Tensor('float32', x, [n, B]) }))[session.outputNames[0]!]!.data as Float32Array;
  const studentTop = argmaxRows(out, n, K);
  const model = await loadLid();
  const classIndex = new Map(r.classes.map((c, i) => [c, i]));
  const probs = new Float32Array(K);
  const teacherConf: number[] = [];
  const teacherTop = data.test.texts.map((t) => { probs.fill(0); lidProbabilities(model, classIndex, t, probs); const k = argmaxRows(probs, 1, K)[0]!; teacherConf.push(probs[k]!); return k; });
  // Where the teacher itself is unsure (top-1 probability < 0.5: dialects and languages lid.176 barely knows),
  // its top-1 is close to a coin toss between neighbours; agreement there is reported separately.
  const confident = teacherTop.map((_, i) => i).filter((i) => teacherConf[i]! >= 0.5);
  const agreementConfident = confident.filter((i) => teacherTop[i] === studentTop[i]).length / Math.max(1, confident.length);
  const byLang = new Map<string, { n: number; agree: number }>();
  data.test.y.forEach((y, i) => {
    const lang = raw.labels[y]!;
    const e = byLang.get(lang) ?? { n: 0, agree: 0 };
    e.n++;
    if (studentTop[i] === teacherTop[i]) e.agree++;
    byLang.set(lang, e);
  });
  const agreement = teacherTop.filter((t, i) => t === studentTop[i]).length / n;
  const names = new Map((await lid176Languages()).map((l) => [l.alpha3, l.name]));
  const failing = [...byLang].map(([lang, e]) => ({ lang, name: names.get(lang) ?? lang, n: e.n, agreement: e.agree / e.n })).filter((e) => e.agreement < 0.95).sort((a, b) => a.agreement - b.agreement);

  // Per-paragraph speed, batch 1, same paragraphs, same process: teacher as it labels (full distribution) and as
  // a plain identifier (top-1 only), student = featurize + one int8 run.
  const texts = data.test.texts;
  const one = new Float32Array(B);
  const time = async (f: (t: string) => unknown) => {
    for (let i = 0; i < 50; i++) await f(texts[i % texts.length]!);
    const ts: number[] = [];
    for (let i = 0; i < Math.min(1000, texts.length); i++) { const a = performance.now(); await f(texts[i]!); ts.push(performance.now() - a); }
    return { p50Ms: percentile(ts, 50), meanMs: ts.reduce((a, b) => a + b, 0) / ts.length };
  };
  const student = await time((t) => { featurize(o.featurizer, t, one); return session.run({ [input]: new ort.Tensor('float32', one, [1, B]) }); });
  const teacherFull = await time((t) => { probs.fill(0); lidProbabilities(model, classIndex, t, probs); });
  const teacherTop1 = await time((t) => model.predict(t.replace(/[\r\n]+/g, ' '), 1, 0));
  await session.release();
  const speedup = teacherFull.meanMs / student.meanMs;
  const speedupTop1 = teacherTop1.meanMs / student.meanMs;

  process.stdout.write([
    `LANGUAGE ID  teacher fasttext-lid only (no human labels), ${raw.labels.length} UDHR languages, ${n} held-out paragraphs`,
    `student ${s.name} int8 ${int8.byteLength} B (target ≤ 2097152): agreement with the teacher's top-1 ${pct(agreement)} (target ≥ 95%) ${agreement >= 0.95 && int8.byteLength <= 2 << 20 ? 'PASS' : 'FAIL'}` +
      `; fp32 ${pct(s.agreement)}; hard-label (teacher top-1) twin ${pct(s.hardLabelBaseline?.accuracy)}`,
    `on the ${confident.length} paragraphs where the teacher's top-1 probability is ≥ 0.5: agreement ${pct(agreementConfident)}`,
    row(['per paragraph', 'mean ms', 'p50 ms', 'teacher/student'], [34, 10, 10, 16]),
    row(['student (featurize + int8 run)', student.meanMs.toFixed(4), student.p50Ms.toFixed(4), '1'], [34, 10, 10, 16]),
    row(['teacher, full distribution', teacherFull.meanMs.toFixed(4), teacherFull.p50Ms.toFixed(4), `${speedup.toFixed(2)}× (target ≥ 10×) ${speedup >= 10 ? 'PASS' : 'FAIL'}`], [34, 10, 10, 16]),
    row(['teacher, top-1 only', teacherTop1.meanMs.toFixed(4), teacherTop1.p50Ms.toFixed(4), `${speedupTop1.toFixed(2)}×`], [34, 10, 10, 16]),
    `teacher labelling: ${r.teacherCost.cacheHit ? 'cache hit' : `${r.teacherCost.textsLabelled} paragraphs in ${r.teacherCost.labelSeconds.toFixed(1)} s (${r.teacherCost.textsPerSec?.toFixed(0)}/s)`}; whole run ${runSeconds.toFixed(0)} s`,
    `languages below 95% agreement (${failing.length} of ${byLang.size}): ${failing.map((f) => `${f.lang} ${(100 * f.agreement).toFixed(0)}% (n=${f.n})`).join(', ') || 'none'}`,
    '',
  ].join('\n'));
  return {
    languages: raw.labels.length, heldOut: n, student: s.name, int8Bytes: int8.byteLength, agreement, agreementFp32: s.agreement, agreementTeacherConfident: agreementConfident, teacherConfidentParagraphs: confident.length, hardLabelTwin: s.hardLabelBaseline?.accuracy,
    perParagraphMs: { student, teacherFull, teacherTop1 }, speedup, speedupTop1, teacherCost: r.teacherCost, failing, perLanguage: Object.fromEntries([...byLang].map(([l, e]) => [l, e.agree / e.n])),
  };
}
