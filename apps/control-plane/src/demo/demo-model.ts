import { encodeEvalSet } from '@edgefleet/contracts';
import { DatasetSplit, distill, ensureFashionMnist, loadDataset } from '@edgefleet/distill';
import { loadModelInfo } from '@edgefleet/onnx';

export interface DemoModel {
  name: string;
  fp32: Uint8Array;
  int8?: Uint8Array;
  evalSet: Buffer;
  teacherAccuracy: number;
  studentAccuracy: number;
  int8Accuracy?: number;
  trainSeconds: number;
}

/** First `n` rows of a data set (the demo trains on a slice so it finishes in seconds). */
function head(split: DatasetSplit, trainRows: number, testRows: number): DatasetSplit {
  const slice = (d: DatasetSplit['train'], n: number) => {
    const f = d.sampleShape.reduce((a, b) => a * b, 1);
    const m = Math.min(n, d.n);
    return { ...d, n: m, x: d.x.subarray(0, m * f), y: d.y.subarray(0, m) };
  };
  return { ...split, train: slice(split.train, trainRows), test: slice(split.test, testRows) };
}

/**
 * A small but really trained classifier: an MLP teacher on a Fashion-MNIST slice, one student distilled from
 * it and quantized, plus an eval set (held-out test rows) the devices measure accuracy on.
 */
export async function trainDemoModel(log: (line: string) => void): Promise<DemoModel> {
  const started = Date.now();
  const dir = await ensureFashionMnist();
  const data = head(await loadDataset(dir), 15_000, 1_000);
  log(`training a teacher and distilling a student on ${data.train.n} Fashion-MNIST images …`);
  const result = await distill({
    data,
    teacherArch: 'mlp',
    teacherEpochs: 4,
    students: ['mlp:64'],
    epochs: 5,
    baseline: false,
    latency: false,
    seed: 7,
  });
  const student = result.students[0];
  const metrics = result.metrics.students[0];
  if (!student || !metrics) throw new Error('distillation produced no student');
  const input = loadModelInfo(student.fp32).inputs[0];
  if (!input) throw new Error('student model has no input');
  const sampleShape = input.dims.slice(1).map((d) => (typeof d === 'number' ? d : NaN));
  if (sampleShape.some((d) => !Number.isInteger(d))) throw new Error(`student input has symbolic sample dims ${input.dims}`);
  const evalSet = encodeEvalSet({
    inputName: input.name,
    sampleShape,
    numClasses: data.test.numClasses,
    n: data.test.n,
    x: data.test.x,
    y: data.test.y,
  });
  return {
    name: `fashion-${metrics.name}`,
    fp32: student.fp32,
    int8: student.int8,
    evalSet,
    teacherAccuracy: result.metrics.teacher.accuracy,
    studentAccuracy: metrics.accuracy,
    int8Accuracy: metrics.int8?.accuracy,
    trainSeconds: (Date.now() - started) / 1000,
  };
}
