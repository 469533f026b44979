import { CalibrationRows, loadModelInfo, withModelMetadata } from '@edgefleet/onnx';
import { Network } from '../model/network';
import { ModelSpec, parseModelSpec } from '../model/spec';
import { exportInferenceModel } from '../graph/graphs';
import { OptimizerConfig } from '../graph/optimizer';
import { fit, FitOptions, TrainSet } from '../train/fit';
import { argmaxRows, matchRate } from '../train/metrics';
import { DistillConfigError, throwIfAborted } from '../errors';
import { OnnxClassifier } from './run-model';
import { chooseInt8 } from './int8-choice';
import { prepareSplit } from './split';
import { defaultStudents, defaultTeacher } from './ladder';
import { CALIBRATION_ROWS, quantizers } from './quantizers';
import { DISTILL_DEFAULTS } from './defaults';
import { DistillMetrics, DistillOptions, DistillProgress, DistillResult, RunRole, StudentMetrics, StudentModels } from './options';

/**
 * The whole job: (train a teacher or load one) → teacher logits for the training set, computed
 * once → for each student: distil, train a hard-label twin for comparison, export, quantize,
 * evaluate. Returns metrics and model bytes; throws DistillAbortedError when `signal` fires.
 */
export async function distill(o: DistillOptions, onProgress: (p: DistillProgress) => void = () => {}): Promise<DistillResult> {
  const { train: full, test } = o.data;
  const { sampleShape, numClasses } = full;
  const d = DISTILL_DEFAULTS;
  const seed = o.seed ?? d.seed;
  const threads = o.threads ?? d.threads;
  const labeledFraction = o.labeledFraction ?? d.labeledFraction;
  const temperature = o.temperature ?? d.temperature;
  const alpha = o.alpha ?? d.alpha;
  const epochs = o.epochs ?? d.epochs;
  const batchSize = o.batchSize ?? d.batchSize;
  const optimizer: OptimizerConfig = o.optimizer ?? { name: 'adamw', weightDecay: 0.01 };
  const warnings: string[] = [];
  const split = prepareSplit(full, labeledFraction, o.validationFraction ?? d.validationFraction, seed);

  const baseFit = (run: string, role: RunRole, ep: number): FitOptions => ({
    epochs: ep, batchSize, lr: o.lr ?? d.lr, warmupEpochs: 0.5, optimizer, alpha, temperature, seed, threads,
    patience: o.patience ?? d.patience, signal: o.signal,
    onEpoch: (r) => onProgress({ run, role, epoch: r.epoch, epochs: r.epochs, loss: r.loss, valAccuracy: r.valAccuracy, etaMs: r.etaMs, samplesPerSec: r.samplesPerSec }),
  });

  // Teacher: precomputed logits, a given model, or one trained on the labeled rows.
  let teacherModel = o.teacher;
  let teacherName = o.teacherLogits?.name ?? 'teacher';
  let teacherTrainSeconds: number | undefined;
  let teacherTrain: Float32Array;
  let teacherTestPred: Int32Array;
  let teacherParams: number | undefined;
  if (o.teacherLogits) {
    const t = o.teacherLogits;
    if (t.train.length !== full.n * numClasses || t.test.length !== test.n * numClasses) {
      throw new DistillConfigError(`teacher logits must be n × ${numClasses} for ${full.n} training and ${test.n} test rows`);
    }
    teacherTrain = new Float32Array(split.trainRows.length * numClasses);
    split.trainRows.forEach((r, i) => teacherTrain.set(t.train.subarray(r * numClasses, (r + 1) * numClasses), i * numClasses));
    teacherTestPred = argmaxRows(t.test, test.n, numClasses);
    teacherParams = t.params;
  } else {
    if (!teacherModel) {
      const spec = defaultTeacher(o.teacherArch, sampleShape, numClasses);
      const net = new Network(spec, sampleShape);
      teacherName = spec.name;
      const r = await fit(net, split.train, split.validation, baseFit(spec.name, 'teacher', o.teacherEpochs ?? d.teacherEpochs));
      teacherModel = exportInferenceModel(net, r.params);
      teacherTrainSeconds = r.trainMs / 1000;
    }
    throwIfAborted(o.signal);
    const teacher = await OnnxClassifier.open(teacherModel, sampleShape, numClasses, threads, 'teacher');
    teacherTrain = await teacher.logits(split.train.x, split.train.n);
    teacherTestPred = argmaxRows(await teacher.logits(test.x, test.n), test.n, numClasses);
    await teacher.release();
    teacherParams = loadModelInfo(teacherModel).parameterCount;
  }
  const exportStudent = (net: Network, params: Map<string, Float32Array>) => {
    const bytes = exportInferenceModel(net, params);
    return o.modelMetadata ? withModelMetadata(bytes, o.modelMetadata) : bytes;
  };

  const specs: ModelSpec[] = o.students?.length
    ? o.students.map((s) => (typeof s === 'string' ? parseModelSpec(s, sampleShape, numClasses) : s))
    : defaultStudents(teacherParams ?? 1_000_000, sampleShape, numClasses);
  const q = o.quantize === false ? {} : quantizers();
  if (o.int8Static === false) delete q.int8Static;
  if (o.quantize !== false && !q.int8) warnings.push('int8: quantizeInt8 is not available in @edgefleet/onnx');
  if (o.quantize !== false && !q.fp16) warnings.push('fp16: convertToFp16 is not available in @edgefleet/onnx');

  // Static int8 calibrates on training rows (never the test rows it is scored on).
  const calibN = Math.min(CALIBRATION_ROWS, split.train.n);
  const calibration: CalibrationRows = { x: split.train.x.subarray(0, calibN * (split.train.x.length / split.train.n)), n: calibN };
  const students: StudentMetrics[] = [];
  const models: StudentModels[] = [];
  for (const spec of specs) {
    throwIfAborted(o.signal);
    const net = new Network(spec, sampleShape);
    const kdSet: TrainSet = { ...split.train, teacher: teacherTrain };
    const kd = await fit(net, kdSet, split.validation, baseFit(spec.name, 'student', epochs));
    const fp32 = exportStudent(net, kd.params);
    const m: StudentMetrics = {
      name: spec.name, params: net.paramCount, macs: net.macs, accuracy: 0, agreement: 0, bytes: fp32.byteLength,
      trainSeconds: kd.trainMs / 1000, epochsRun: kd.epochsRun,
    };
    const sample = test.x.subarray(0, test.x.length / test.n);
    const evalModel = async (bytes: Uint8Array, withLatency: boolean) => {
      const c = await OnnxClassifier.open(bytes, sampleShape, numClasses, threads, spec.name);
      try {
        const pred = argmaxRows(await c.logits(test.x, test.n), test.n, numClasses);
        const lat = withLatency && o.latency !== false ? await c.latency(sample) : undefined;
        return { accuracy: matchRate(pred, test.y), agreement: matchRate(pred, teacherTestPred), latencyP50Ms: lat?.p50Ms };
      } finally {
        await c.release();
      }
    };
    const e = await evalModel(fp32, true);
    Object.assign(m, { accuracy: e.accuracy, agreement: e.agreement, latencyP50Ms: e.latencyP50Ms });
    if (o.baseline !== false) {
      const b = await fit(net, split.train, split.validation, baseFit(`${spec.name} (hard labels)`, 'baseline', epochs));
      const acc = (await evalModel(exportStudent(net, b.params), false)).accuracy;
      m.hardLabelBaseline = { accuracy: acc, trainSeconds: b.trainMs / 1000 };
    }
    const out: StudentModels = { name: spec.name, fp32 };
    if (q.int8) {
      const int8 = await chooseInt8(fp32, {
        calibration, converters: q, timed: o.latency !== false, warnings, name: spec.name, threads, test,
      });
      out.int8 = int8.bytes;
      m.int8 = int8.metrics;
    }
    if (q.fp16) {
      out.fp16 = await q.fp16(fp32);
      const r = await evalModel(out.fp16, false);
      m.fp16 = { accuracy: r.accuracy, bytes: out.fp16.byteLength };
    }
    students.push(m);
    models.push(out);
  }

  const metrics: DistillMetrics = {
    teacher: {
      name: teacherName, accuracy: matchRate(teacherTestPred, test.y), params: teacherParams, bytes: teacherModel?.byteLength ?? o.teacherLogits?.bytes,
      trained: !o.teacher && !o.teacherLogits, trainSeconds: teacherTrainSeconds,
    },
    students,
    settings: { temperature, alpha, labeledFraction, seed, epochs, threads, batchSize },
    warnings,
  };
  return { metrics, teacherModel, students: models };
}
