import { EmbeddingTeacher, distillText, meanStd, spamAssassinSplit, useLiteEmbedder, type TextSplit } from '@edgefleet/distill';
import { loadavg } from 'node:os';
import type { FeaturizerSpec } from '@edgefleet/contracts';
import { log, pct, row, studentLatency, subset } from './text-common';

export interface SpamOptions { train: number; test: number; seeds: number; epochs: number; student: string; cacheDir: string; featurizer: FeaturizerSpec; print: (s: string) => void }

const toSplit = (raw: ReturnType<typeof spamAssassinSplit>): TextSplit => {
  const index = new Map(raw.labels.map((l, i) => [l, i]));
  const rows = (r: { text: string; label: string }[]) => ({ texts: r.map((x) => x.text), y: Int32Array.from(r, (x) => index.get(x.label)!) });
  return { train: rows(raw.train), test: rows(raw.test), labels: raw.labels, source: 'spam-assassin' };
};

/**
 * Spam (SpamAssassin, fixed stratified split, subject + first 400 characters) with the use-lite teacher: teacher
 * accuracy and labelling cost, the cache on a second pass, a ≤ 1 MB int8 student's retained accuracy, KD vs hard
 * labels (seeds × {all, 10 %} labels) and batch-1 latency including featurization.
 */
export async function spamBench(o: SpamOptions): Promise<Record<string, unknown>> {
  const data = subset(toSplit(spamAssassinSplit()), o.train, o.test);
  log(`spam: ${data.train.texts.length} train / ${data.test.texts.length} test emails (stratified subset of the fixed 80/20 split)`);
  const teacher = new EmbeddingTeacher('use-lite', useLiteEmbedder);

  // Teacher throughput, cold: a fresh sample of texts, no cache.
  const embedder = await useLiteEmbedder();
  const sample = data.test.texts.slice(0, 32);
  const t0 = performance.now();
  await embedder.embed(sample);
  const coldPerSec = sample.length / ((performance.now() - t0) / 1000);
  const first = await teacher.label(data, { cacheDir: o.cacheDir, onProgress: (w, p) => log(`  ${w}: ${p.done}/${p.total}  ${p.perSec.toFixed(1)}/s  ETA ${Math.round(p.etaMs / 1000)} s`) });
  const t1 = performance.now();
  const second = await teacher.label(data, { cacheDir: o.cacheDir });
  const secondSeconds = (performance.now() - t1) / 1000;
  const nTexts = data.train.texts.length + data.test.texts.length;
  const cache = {
    texts: nTexts, coldTextsPerSec: coldPerSec, coldSecondsEstimate: nTexts / coldPerSec,
    firstRun: first.cost, secondRunSeconds: secondSeconds, secondRunCacheHit: second.cost.cacheHit, speedup: nTexts / coldPerSec / secondSeconds,
  };
  log(`teacher use-lite: ${coldPerSec.toFixed(2)} texts/s cold (${sample.length} texts); labelling ${nTexts} texts ≈ ${cache.coldSecondsEstimate.toFixed(0)} s cold, ` +
    `${secondSeconds.toFixed(2)} s from the cache (${cache.speedup.toFixed(0)}×, head refit included)`);

  const runs: { fraction: number; seed: number; teacher: number; kd: number; hard: number; int8: number; int8Bytes: number; agreement: number; latency?: Awaited<ReturnType<typeof studentLatency>> }[] = [];
  for (const fraction of [1, 0.1]) {
    for (let seed = 1; seed <= o.seeds; seed++) {
      const r = await distillText({ data, teacher, featurizer: o.featurizer, cacheDir: o.cacheDir, students: [o.student], labeledFraction: fraction, seed, epochs: o.epochs, patience: 0, latency: false });
      const s = r.metrics.students[0]!;
      const one = {
        fraction, seed, teacher: r.metrics.teacher.accuracy, kd: s.accuracy, hard: s.hardLabelBaseline!.accuracy, int8: s.int8!.accuracy, int8Bytes: s.int8!.bytes, agreement: s.agreement,
        latency: fraction === 1 && seed === 1 ? await studentLatency(r.students[0]!.int8!, r.featurizer, data.test.texts) : undefined,
      };
      runs.push(one);
      log(`  labels ${fraction} seed ${seed}: teacher ${pct(one.teacher)}  KD ${pct(one.kd)}  hard ${pct(one.hard)}  int8 ${pct(one.int8)} (${one.int8Bytes} B)`);
    }
  }
  const full = runs.filter((r) => r.fraction === 1);
  const main = full[0]!;
  const retained = main.int8 / main.teacher;
  const kdTable = [1, 0.1].map((fraction) => {
    const rs = runs.filter((r) => r.fraction === fraction);
    const d = rs.map((r) => r.kd - r.hard);
    return { fraction, teacher: meanStd(rs.map((r) => r.teacher)), kd: meanStd(rs.map((r) => r.kd)), hard: meanStd(rs.map((r) => r.hard)), delta: meanStd(d), deltaMin: Math.min(...d), deltaMax: Math.max(...d) };
  });
  const f4 = (m: { mean: number; std: number }) => `${m.mean.toFixed(4)} ± ${m.std.toFixed(4)}`;
  const w = [10, 18, 18, 18, 10, 18];
  o.print([
    `SPAM  load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n` +
    `SPAM  teacher use-lite (USE lite + logistic head): accuracy ${pct(main.teacher)}; student ${o.student} int8 ${main.int8Bytes} B (target ≤ 1048576): ` +
      `accuracy ${pct(main.int8)} = ${pct(retained)} of the teacher (target ≥ 97%) ${retained >= 0.97 && main.int8Bytes <= 1 << 20 ? 'PASS' : 'FAIL'}`,
    `batch-1 latency, 400-char input incl. featurization (int8, 1 thread): p50 ${main.latency!.p50Ms.toFixed(3)} ms  p95 ${main.latency!.p95Ms.toFixed(3)} ms ` +
      `(featurize p50 ${main.latency!.featurizeP50Ms.toFixed(3)} ms); teacher ${(1000 / coldPerSec).toFixed(1)} ms per email (batched 32)`,
    `teacher labelling: ${coldPerSec.toFixed(2)} texts/s cold → ${nTexts} texts ≈ ${cache.coldSecondsEstimate.toFixed(0)} s; second run from the cache ${secondSeconds.toFixed(2)} s (${cache.speedup.toFixed(0)}×)` +
      `; this run's first pass: ${first.cost.cacheHit ? 'cache hit (computed by an earlier run)' : `computed in ${first.cost.labelSeconds.toFixed(0)} s`}`,
    row(['labels', 'teacher', 'KD', 'hard labels', 'Δ', 'Δ per seed'], w),
    ...kdTable.map((k) => row([k.fraction, f4(k.teacher), f4(k.kd), f4(k.hard), (k.delta.mean >= 0 ? '+' : '') + k.delta.mean.toFixed(4), `${k.deltaMin.toFixed(4)}…${k.deltaMax.toFixed(4)}`], w)),
    '',
  ].join('\n'));
  return { subset: { train: data.train.texts.length, test: data.test.texts.length }, student: o.student, teacherAccuracy: main.teacher, int8: { accuracy: main.int8, bytes: main.int8Bytes, retained, target: 0.97 }, latency: main.latency, cache, kd: kdTable, runs };
}
