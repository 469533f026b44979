import { onnx } from 'onnx-proto';
import { decodeModel } from '@edgefleet/onnx';
import { SPARSE_INPUTS } from '@edgefleet/contracts';
import { DistillConfigError } from '../errors';

const T = onnx.TensorProto.DataType;
const attrInt = (n: onnx.INodeProto, name: string, fallback: number): number => {
  const a = (n.attribute ?? []).find((x) => x.name === name);
  return a ? Number(a.type === onnx.AttributeProto.AttributeType.FLOAT ? a.f : a.i) : fallback;
};
const valueInfo = (name: string, elemType: number, dims: (number | string)[]): onnx.IValueInfoProto => ({
  name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

/**
 * A dense-input text student ([batch, buckets] → first layer x·W + b) rewritten as an embedding bag over the
 * featurizer's sparse layout: inputs `indices` int32 [batch, n] and `weights` float32 [batch, n] (the non-zero
 * buckets, padded with weight 0), first layer Σ weights·W[indices] + b. The same function of the same vector, but
 * its cost grows with the text's n-grams instead of with the bucket count, and nothing of `buckets` size crosses
 * from JavaScript into onnxruntime. Handles the trainer's float first layer (Gemm) and the int8 quantizer's
 * (DynamicQuantizeMatMul: int8 rows are gathered, summed in float, then scaled per column — exact, with no
 * activation quantization). Other models (fp16) are refused.
 */
export function toEmbeddingBag(model: Uint8Array): Uint8Array {
  const m = decodeModel(model);
  const g = m.graph!;
  const x = g.input?.[0];
  if (!x || g.input!.length !== 1) throw new DistillConfigError('embedding bag: the dense student must have exactly one input');
  const users = (g.node ?? []).filter((n) => (n.input ?? []).includes(x.name!));
  const first = users[0];
  if (users.length !== 1 || !first) throw new DistillConfigError(`embedding bag: input ${x.name} must feed exactly one node`);
  const inits = new Map((g.initializer ?? []).map((t) => [t.name!, t]));
  const opset = Number((m.opsetImport ?? []).find((o) => !o.domain)?.version ?? 0);
  if (opset < 13) throw new DistillConfigError(`embedding bag: opset ${opset} < 13`);
  let table: string;
  let scale: string | undefined;
  let bias: string | undefined;
  if (first.opType === 'Gemm' && !first.domain) {
    if (attrInt(first, 'transA', 0) || attrInt(first, 'transB', 0) || attrInt(first, 'alpha', 1) !== 1 || attrInt(first, 'beta', 1) !== 1) {
      throw new DistillConfigError('embedding bag: the first Gemm must be plain x·W + b');
    }
    table = first.input![1]!;
    bias = first.input![2] || undefined;
    if (inits.get(table)?.dataType !== T.FLOAT) throw new DistillConfigError('embedding bag: the first layer\'s weight must be a float32 constant');
  } else if (first.opType === 'DynamicQuantizeMatMul' && first.domain === 'com.microsoft') {
    table = first.input![1]!;
    scale = first.input![2]!;
    bias = first.input![4] || undefined;
    if (first.input![3]) throw new DistillConfigError('embedding bag: asymmetric int8 weights (a zero point) are not handled');
    if (inits.get(table)?.dataType !== T.INT8) throw new DistillConfigError('embedding bag: the first layer\'s weight must be an int8 constant');
  } else {
    throw new DistillConfigError(`embedding bag: first layer ${first.opType} is not handled (float Gemm or int8 DynamicQuantizeMatMul)`);
  }
  const out = first.output![0]!;
  const names = new Set<string>([...(g.node ?? []).flatMap((n) => [...(n.input ?? []), ...(n.output ?? []), n.name ?? '']), ...inits.keys()]);
  const fresh = (hint: string) => { let s = hint; for (let i = 1; names.has(s); i++) s = `${hint}_${i}`; names.add(s); return s; };
  const node = (opType: string, input: string[], output: string, attribute: onnx.IAttributeProto[] = []): onnx.INodeProto => ({ opType, domain: '', name: fresh(`bag_${opType}`), input, output: [output], attribute });
  if (names.has(SPARSE_INPUTS.indices) || names.has(SPARSE_INPUTS.weights)) throw new DistillConfigError('embedding bag: the model already uses the input names indices or weights');
  const axis1 = fresh('bag_axis1');
  g.initializer!.push({ name: axis1, dataType: T.INT64, dims: [1], int64Data: [1] });
  const { indices, weights } = SPARSE_INPUTS;
  const rows = fresh('bag_rows');
  const w3 = fresh('bag_weights3');
  const sum = fresh('bag_sum');
  const nodes: onnx.INodeProto[] = [
    node('Gather', [table, indices], rows, [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }]),
    node('Unsqueeze', [weights, axis1], w3),
  ];
  let rowsF = rows;
  if (scale) {
    rowsF = fresh('bag_rows_f');
    nodes.push(node('Cast', [rows], rowsF, [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: T.FLOAT }]));
  }
  nodes.push(node('MatMul', [w3, rowsF], sum)); // [batch, 1, n] × [batch, n, hidden]
  let v = fresh('bag_flat');
  nodes.push(node('Squeeze', [sum, axis1], v));
  if (scale) { const s = fresh('bag_scaled'); nodes.push(node('Mul', [v, scale], s)); v = s; }
  nodes.push(bias ? node('Add', [v, bias], out) : node('Identity', [v], out));
  g.node = [...nodes, ...(g.node ?? []).filter((n) => n !== first)];
  g.input = [valueInfo(indices, T.INT32, ['batch', 'n']), valueInfo(weights, T.FLOAT, ['batch', 'n'])];
  return onnx.ModelProto.encode(m).finish();
}
