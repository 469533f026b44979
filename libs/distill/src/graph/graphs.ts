import { GraphBuilder } from '@edgefleet/onnx';
import { Network } from '../model/network';
import { emitDistillLoss } from './loss';
import { emitUpdate, OptimizerConfig, scalarInputs, stateSlots } from './optimizer';

/** Graph value names shared by the graph builders and the trainer that feeds them. */
export const names = {
  param: (p: string) => `p.${p}`,
  paramNext: (p: string) => `p_next.${p}`,
  state: (slot: string, p: string) => `${slot}.${p}`,
  stateNext: (slot: string, p: string) => `${slot}_next.${p}`,
} as const;

const OPSET = 17;

export interface TrainGraphOptions {
  optimizer: OptimizerConfig;
  /** Build the KD term (teacher logits input); false = hard labels only. */
  distill: boolean;
  temperature: number;
  /** Seeds dropout masks. */
  seed: number;
}

/**
 * One whole training step as one graph: forward, loss, hand-derived backward and optimizer
 * update. Parameters and optimizer state come in as inputs and leave as outputs, so the caller
 * feeds step k's outputs to step k+1 and the graph is built once per run.
 */
export function buildTrainGraph(net: Network, o: TrainGraphOptions): Uint8Array {
  const g = new GraphBuilder(`${net.name}-train`);
  const K = net.numClasses;
  const x = g.input('x', 'float32', ['batch', ...net.sampleShape]);
  const target = g.input('target', 'float32', ['batch', K]);
  const ceWeight = g.input('ce_weight', 'float32', ['batch', 1]);
  const teacher = o.distill ? g.input('teacher', 'float32', ['batch', K]) : undefined;
  const kdWeight = o.distill ? g.input('kd_weight', 'float32', ['batch', 1]) : undefined;
  for (const s of scalarInputs(o.optimizer)) g.input(s, 'float32', []);
  const slots = stateSlots(o.optimizer);
  for (const p of net.params) {
    g.input(names.param(p.name), 'float32', p.shape);
    for (const s of slots) g.input(names.state(s, p.name), 'float32', p.shape);
  }
  const { logits, tapes } = net.forward(g, x, names.param, true, o.seed);
  const { loss, dlogits } = emitDistillLoss(g, { logits, target, ceWeight, teacher, kdWeight, temperature: o.temperature });
  const grads = net.backward(g, tapes, dlogits);
  g.output(loss, 'float32', [], 'loss');
  for (const p of net.params) {
    const state = Object.fromEntries(slots.map((s) => [s, names.state(s, p.name)]));
    const next = emitUpdate(g, o.optimizer, p, { param: names.param(p.name), grad: grads.get(p.name)!, state });
    g.output(next.param, 'float32', p.shape, names.paramNext(p.name));
    for (const s of slots) g.output(next.state[s]!, 'float32', p.shape, names.stateNext(s, p.name));
  }
  return g.toModel({ opset: OPSET });
}

/** Inference with parameters as inputs: evaluates the live weights without rebuilding anything. */
export function buildEvalGraph(net: Network): Uint8Array {
  const g = new GraphBuilder(`${net.name}-eval`);
  const x = g.input('input', 'float32', ['batch', ...net.sampleShape]);
  for (const p of net.params) g.input(names.param(p.name), 'float32', p.shape);
  const { logits } = net.forward(g, x, names.param, false);
  g.output(logits, 'float32', ['batch', net.numClasses], 'logits');
  return g.toModel({ opset: OPSET });
}

/** The deployable model: weights as initializers, input "input" [batch, …sample], output "logits". */
export function exportInferenceModel(net: Network, params: Map<string, Float32Array>): Uint8Array {
  const g = new GraphBuilder(net.name);
  const x = g.input('input', 'float32', ['batch', ...net.sampleShape]);
  const values = new Map<string, string>();
  for (const p of net.params) values.set(p.name, g.initializer(p.name, params.get(p.name)!, p.shape));
  const { logits } = net.forward(g, x, (n) => values.get(n)!, false);
  g.output(logits, 'float32', ['batch', net.numClasses], 'logits');
  return g.toModel({ opset: OPSET, docString: JSON.stringify({ spec: net.spec }) });
}
