import { GraphBuilder } from '@edgefleet/onnx';

/**
 * A two-layer MLP `features → hidden → outputs` (MatMul, Relu, MatMul) with fixed weights: a real ONNX model whose
 * cost grows with `hidden` (MACs = features·hidden + hidden·outputs), for autopilot tests and the autopilot bench.
 */
export function mlpModel(features: number, hidden: number, outputs: number): Buffer {
  const g = new GraphBuilder(`mlp-${hidden}`);
  const x = g.input('x', 'float32', ['batch', features]);
  const w = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.05);
  const h = g.op('Relu', [g.op('MatMul', [x, g.initializer('w1', w(features * hidden), [features, hidden])])]);
  g.output(g.op('MatMul', [h, g.initializer('w2', w(hidden * outputs), [hidden, outputs])]), 'float32', ['batch', outputs], 'logits');
  return Buffer.from(g.toModel());
}
