import { onnx } from 'onnx-proto';
import { DType, toOnnxType } from './dtype';
import { OnnxModelError } from './errors';

/** A dimension: a fixed size, or a symbol such as `'batch'` that onnxruntime binds at run time. */
export type Dim = number | string;
export type AttrValue = number | string | number[] | Float32Array | { float: number } | { ints: number[] } | { floats: number[] } | onnx.ITensorProto;

export interface ModelOptions {
  /** Default-domain opset. 17 covers every op we emit (LayerNorm is not used; ScatterElements reduction is 16). */
  opset?: number;
  /** Extra domains, e.g. `{ 'com.microsoft': 1 }`. */
  extraOpsets?: Record<string, number>;
  producerName?: string;
  docString?: string;
}

const valueInfo = (name: string, dtype: DType, dims: Dim[]): onnx.IValueInfoProto => ({
  name,
  type: {
    tensorType: {
      elemType: toOnnxType(dtype),
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

/**
 * Builds one ONNX graph node by node. Names handed out by `fresh()` never collide, so graph
 * fragments (layers, losses, optimizers) can be written independently and composed.
 */
export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly names = new Set<string>();
  /** Names handed out by fresh() that no node or input has defined yet. */
  private readonly reserved = new Set<string>();
  private readonly domains = new Set<string>();
  private counter = 0;

  constructor(readonly name = 'graph') {}

  /** A name not used so far, derived from `hint`. */
  fresh(hint: string): string {
    let n = hint;
    while (this.names.has(n)) n = `${hint}_${++this.counter}`;
    this.names.add(n);
    this.reserved.add(n);
    return n;
  }

  private claim(name: string): string {
    if (this.reserved.delete(name)) return name;
    if (this.names.has(name)) throw new OnnxModelError(`graph ${this.name}: name "${name}" is already used`);
    this.names.add(name);
    return name;
  }

  input(name: string, dtype: DType, dims: Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), dtype, dims));
    return name;
  }

  /** Declares an existing value as a graph output (an Identity is inserted when the name differs). */
  output(value: string, dtype: DType, dims: Dim[], name = value): string {
    if (name !== value) this.node('Identity', [value], [name]);
    this.outputs.push(valueInfo(name, dtype, dims));
    return name;
  }

  /** A constant tensor stored in the model. `float32` data becomes raw little-endian bytes. */
  initializer(hint: string, data: Float32Array | Float64Array | BigInt64Array | Int32Array | number[], dims: number[], dtype?: DType): string {
    const name = this.claim(this.fresh(hint));
    const t = Array.isArray(data) ? data : Array.from(data as ArrayLike<number | bigint>, Number);
    const kind: DType = dtype ?? (data instanceof Float64Array ? 'float64' : data instanceof BigInt64Array ? 'int64' : data instanceof Int32Array ? 'int32' : 'float32');
    const size = dims.reduce((a, b) => a * b, 1);
    if (t.length !== size) throw new OnnxModelError(`initializer ${name}: ${t.length} values for dims [${dims}]`);
    this.initializers.push(makeTensor(name, kind, dims, data));
    return name;
  }

  /** A scalar or 1-D constant, for shapes, axes and hyper-parameters. */
  const(hint: string, values: number | number[], dtype: DType = 'float32'): string {
    const arr = Array.isArray(values) ? values : [values];
    return this.initializer(hint, arr, Array.isArray(values) ? [arr.length] : [], dtype);
  }

  /** Appends a node. `outputs` are exact names (or a count of fresh ones). Returns the output names. */
  node(op: string, inputs: string[], outputs: string[] | number = 1, attrs: Record<string, AttrValue> = {}, domain?: string): string[] {
    const outs = typeof outputs === 'number'
      ? Array.from({ length: outputs }, (_, i) => this.fresh(`${op.toLowerCase()}${i ? `_${i}` : ''}`))
      : outputs.map((o) => this.claim(o));
    if (domain) this.domains.add(domain);
    this.nodes.push({
      opType: op,
      domain: domain ?? '',
      name: this.claim(this.fresh(`n_${op}`)),
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => makeAttribute(k, v)),
    });
    return outs;
  }

  /** Single-output shorthand for `node`. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, hint?: string, domain?: string): string {
    return this.node(op, inputs, [this.fresh(hint ?? op.toLowerCase())], attrs, domain)[0]!;
  }

  toModel(opts: ModelOptions = {}): Uint8Array {
    const opset = opts.opset ?? 17;
    const opsetImport: onnx.IOperatorSetIdProto[] = [{ domain: '', version: opset }];
    for (const d of this.domains) if (d !== '' && !(opts.extraOpsets && d in opts.extraOpsets)) opsetImport.push({ domain: d, version: 1 });
    for (const [d, v] of Object.entries(opts.extraOpsets ?? {})) opsetImport.push({ domain: d, version: v });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: opts.producerName ?? 'edgefleet',
      docString: opts.docString ?? '',
      opsetImport,
      graph: {
        name: this.name,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function makeTensor(name: string, dtype: DType, dims: number[], data: Float32Array | Float64Array | BigInt64Array | Int32Array | number[]): onnx.ITensorProto {
  const t: onnx.ITensorProto = { name, dims, dataType: toOnnxType(dtype) };
  switch (dtype) {
    case 'float32': {
      const f = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
      t.rawData = new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength));
      break;
    }
    case 'float64': {
      const f = data instanceof Float64Array ? data : Float64Array.from(data as ArrayLike<number>);
      t.rawData = new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength));
      break;
    }
    case 'int64':
      // protobufjs encodes plain numbers as int64; our shapes and indices are far below 2^53.
      t.int64Data = Array.from(data as ArrayLike<number | bigint>, Number);
      break;
    case 'int32':
    case 'int8':
    case 'uint8':
    case 'bool':
    case 'float16':
      t.int32Data = Array.from(data as ArrayLike<number>, Number);
      break;
  }
  return t;
}

function makeAttribute(name: string, v: AttrValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (v instanceof Float32Array) return { name, type: T.FLOATS, floats: Array.from(v) };
  if ('float' in v && typeof v.float === 'number') return { name, type: T.FLOAT, f: v.float };
  if ('ints' in v && Array.isArray(v.ints)) return { name, type: T.INTS, ints: v.ints };
  if ('floats' in v && Array.isArray(v.floats)) return { name, type: T.FLOATS, floats: v.floats };
  return { name, type: T.TENSOR, t: v as onnx.ITensorProto };
}
