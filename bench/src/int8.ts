/**
 * `npm run bench -- int8 [--epochs 2] [--rounds 9] [--runs 100] [--threads 1] [--models a,b] [--fresh] [--profile] [--json]`
 * Fashion-MNIST: for the student ladder the product distils (defaultStudents for the default CNN teacher) and two
 * ≥ 1M-MAC models (the 784-1024-1024-10 MLP and the teacher-sized cnn:32-64-128), trained here on hard labels:
 * batch-1 p50 of fp32, dynamic int8 and static int8 (calibrated on 2,000 training rows), timed in alternation
 * (compareLatency: rounds, order rotated, median of the per-round p50s), and the test accuracy of each. "ships" is
 * what distill() keeps and selection allows: the faster int8 format, or fp32 where even that is slower.
 * Goal: ≥ 3× at ≥ 1M MACs within 0.5 points of fp32's accuracy; no shipped int8 slower than fp32.
 * Trained models are cached under node_modules/.cache (--fresh retrains). --profile adds, per model, onnxruntime's
 * optimized op list and per-node kernel p50 (its profiler) of fp32 and static: where the time goes.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import {
  CALIBRATION_ROWS, DatasetSplit, Network, OnnxClassifier, argmaxRows, compareLatency, defaultStudents, defaultTeacher, ensureFashionMnist,
  exportInferenceModel, fit, formatModelSpec, loadDataset, matchRate, parseModelSpec, prepareSplit,
} from '@edgefleet/distill';
import { quantizeInt8, quantizeInt8Calibrated } from '@edgefleet/onnx';
import type { CommandLine, CommandSpec } from '@edgefleet/toolkit';
import { NodeProfile, profileNodes } from './int8-profile';

const log = (s: string) => process.stderr.write(`${s}\n`);

export const command: CommandSpec = {
  name: 'bench int8',
  invocation: 'npm run bench -- int8',
  summary: 'Fashion-MNIST: batch-1 p50 and accuracy of fp32, dynamic int8 and static int8 for the student ladder and ≥ 1M-MAC models.',
  options: {
    epochs: { type: 'string', arg: '<n>', help: 'training epochs per model (default 2; accuracy is compared between precisions of one model)' },
    rounds: { type: 'string', arg: '<n>', help: 'alternated timing rounds (default 9)' },
    runs: { type: 'string', arg: '<n>', help: 'timed inferences per model per round (default 100)' },
    threads: { type: 'string', arg: '<n>', help: 'onnxruntime intra-op threads (default 1)' },
    models: { type: 'string', arg: '<spec,spec>', help: 'models instead of the ladder + mlp:1024x1024 + cnn:32-64-128' },
    fresh: { type: 'boolean', help: 'retrain the cached models' },
    profile: { type: 'boolean', help: 'also print onnxruntime\'s optimized op list and per-node kernel p50 of fp32 and static (its profiler, after the timing)' },
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
  },
};

const SHAPE = [1, 28, 28];
const CLASSES = 10;

/** A model trained on hard labels for `epochs`, cached by spec and epochs. */
async function trained(spec: string, data: DatasetSplit, epochs: number, fresh: boolean): Promise<{ bytes: Uint8Array; macs: number }> {
  const net = new Network(parseModelSpec(spec, SHAPE, CLASSES), SHAPE);
  const file = join(dirname(require.resolve('onnxruntime-node/package.json')), '..', '.cache', 'edgefleet', 'bench-int8', `${spec.replace(/[^a-z0-9-]/gi, '_')}-e${epochs}.onnx`);
  if (!fresh) {
    const cached = await readFile(file).then((b) => new Uint8Array(b), (err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return undefined; throw err; });
    if (cached) return { bytes: cached, macs: net.macs };
  }
  log(`training ${spec} for ${epochs} epochs…`);
  const split = prepareSplit(data.train, 1, 0.1, 1);
  const r = await fit(net, split.train, split.validation, {
    epochs, batchSize: 128, lr: 2e-3, warmupEpochs: 0.5, optimizer: { name: 'adamw', weightDecay: 0.01 }, alpha: 0, temperature: 1,
    seed: 1, threads: 2, patience: 0, onEpoch: (e) => log(`  epoch ${e.epoch}/${e.epochs} val ${e.valAccuracy?.toFixed(4)}`),
  });
  const bytes = exportInferenceModel(net, r.params);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, bytes);
  return { bytes, macs: net.macs };
}

interface Variant { name: 'fp32' | 'dynamic' | 'static'; bytes: number; accuracy: number; p50Ms: number }

export async function run(cl: CommandLine): Promise<void> {
  const positiveInt = { integer: true, min: 1 };
  const epochs = cl.number('epochs', positiveInt) ?? 2;
  const rounds = cl.number('rounds', positiveInt) ?? 9;
  const runs = cl.number('runs', positiveInt) ?? 100;
  const threads = cl.number('threads', positiveInt) ?? 1;
  const given = cl.list('models', (s) => s.trim() || undefined, 'comma-separated model specs');
  const fresh = cl.flag('fresh');
  const profile = cl.flag('profile');
  const json = cl.flag('json');
  cl.done();
  const data = await loadDataset(await ensureFashionMnist());
  const teacherParams = new Network(defaultTeacher('cnn', SHAPE, CLASSES), SHAPE).paramCount;
  const ladder = defaultStudents(teacherParams, SHAPE, CLASSES).map(formatModelSpec);
  const large = ['mlp:1024x1024', 'cnn:32-64-128'];
  const specs = given ?? [...ladder, ...large];
  const loadBefore = loadavg();
  const calibN = Math.min(CALIBRATION_ROWS, data.train.n);
  const calibration = { x: data.train.x.subarray(0, calibN * 784), n: calibN };
  const test = data.test;
  const sample = test.x.subarray(0, 784);
  const rows: Array<{
    model: string; role: 'student' | 'large'; macs: number; variants: Variant[]; ships: string; speedup: number; accuracyDelta: number;
    profile?: { fp32: NodeProfile; static: NodeProfile };
  }> = [];
  for (const spec of specs) {
    const { bytes: fp32, macs } = await trained(spec, data, epochs, fresh);
    const models = { fp32, dynamic: quantizeInt8(fp32), static: (await quantizeInt8Calibrated(fp32, calibration)).model };
    const open = await Promise.all(Object.values(models).map((b) => OnnxClassifier.open(b, SHAPE, CLASSES, threads, spec)));
    try {
      const acc: number[] = [];
      for (const c of open) acc.push(matchRate(argmaxRows(await c.logits(test.x, test.n), test.n, CLASSES), test.y));
      log(`timing ${spec}: ${rounds} rounds × ${runs} runs…`);
      const p50 = await compareLatency(open, sample, { rounds, runs });
      const variants = (Object.keys(models) as Variant['name'][]).map((name, i) => ({ name, bytes: models[name].byteLength, accuracy: acc[i]!, p50Ms: p50[i]! }));
      const best = variants[1]!.p50Ms <= variants[2]!.p50Ms ? variants[1]! : variants[2]!;
      const ships = best.p50Ms < variants[0]!.p50Ms ? `int8 ${best.name}` : 'fp32 (int8 slower)';
      rows.push({
        model: spec, role: ladder.includes(spec) ? 'student' : 'large', macs, variants, ships,
        speedup: variants[0]!.p50Ms / best.p50Ms, accuracyDelta: best.accuracy - variants[0]!.accuracy,
        profile: profile ? {
          fp32: await profileNodes(models.fp32, sample, [1, ...SHAPE], threads, runs),
          static: await profileNodes(models.static, sample, [1, ...SHAPE], threads, runs),
        } : undefined,
      });
    } finally {
      await Promise.all(open.map((c) => c.release()));
    }
  }
  const loadAfter = loadavg();
  const goal = rows.filter((r) => r.macs >= 1e6).map((r) => ({ model: r.model, speedup: r.speedup, accuracyDelta: r.accuracyDelta, pass: r.speedup >= 3 && r.accuracyDelta >= -0.005 }));
  const result = {
    threads, rounds, runs, epochs, calibrationRows: calibN, load: { before: loadBefore, after: loadAfter }, rows,
    goal: { atLeast1MMacs: goal, shippedInt8NeverSlower: rows.every((r) => !r.ships.startsWith('int8') || r.speedup > 1) },
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const f = (ms: number) => (ms * 1000).toFixed(0).padStart(6);
  const pct = (x: number) => (100 * x).toFixed(2);
  const w = [16, 9, 9, 15, 15, 22, 14];
  const line = (cells: string[]) => console.log(cells.map((c, i) => c.padEnd(w[i] ?? 10)).join(' '));
  console.log(`batch 1, ${threads} thread(s), median of ${rounds} alternated rounds × ${runs} runs; accuracy on ${test.n} Fashion-MNIST test rows; load ${loadBefore.map((l) => l.toFixed(1)).join(' ')} → ${loadAfter.map((l) => l.toFixed(1)).join(' ')}`);
  line(['model', 'MACs', 'fp32 µs', 'dynamic µs (×)', 'static µs (×)', 'accuracy fp32/dyn/st %', 'ships']);
  for (const r of rows) {
    const [a, d, s] = r.variants as [Variant, Variant, Variant];
    line([r.model, String(r.macs), f(a.p50Ms), `${f(d.p50Ms)} (${(a.p50Ms / d.p50Ms).toFixed(2)})`, `${f(s.p50Ms)} (${(a.p50Ms / s.p50Ms).toFixed(2)})`,
      `${pct(a.accuracy)}/${pct(d.accuracy)}/${pct(s.accuracy)}`, r.ships]);
  }
  for (const r of rows) {
    if (!r.profile) continue;
    for (const [name, p] of Object.entries(r.profile)) {
      const sum = p.nodes.reduce((a, n) => a + n.p50Us, 0);
      console.log(`${r.model} ${name}: ${p.ops.join(' ')}`);
      console.log(`  per-node p50 µs (profiler, sum ${sum}): ${p.nodes.map((n) => `${n.op} ${n.p50Us}`).join(', ')}`);
    }
  }
  for (const g of goal) console.log(`goal ≥ 3× within 0.5 pt at ≥ 1M MACs: ${g.model} ${g.speedup.toFixed(2)}×, ${(100 * g.accuracyDelta).toFixed(2)} pt ${g.pass ? 'PASS' : 'FAIL'}`);
  console.log(`shipped int8 never slower than fp32: ${result.goal.shippedInt8NeverSlower ? 'yes' : 'NO'}`);
}
