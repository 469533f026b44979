import { Layer, LayerOutput, ForwardContext, ParamSpec } from './layer';
import { DistillConfigError } from '../errors';

/** y = x·W + b with W stored [in, out] so the forward is one Gemm. */
export class Dense implements Layer {
  readonly kind = 'dense';
  readonly outShape: number[];
  readonly params: ParamSpec[];
  readonly macs: number;

  constructor(readonly inShape: number[], units: number, prefix: string) {
    if (inShape.length !== 1) throw new DistillConfigError(`dense layer needs a flat input, got [${inShape}]; add a flatten`);
    const n = inShape[0]!;
    this.outShape = [units];
    this.macs = n * units;
    this.params = [
      { name: `${prefix}.weight`, shape: [n, units], init: 'he', fanIn: n, decay: true },
      { name: `${prefix}.bias`, shape: [units], init: 'zeros', fanIn: n, decay: false },
    ];
  }

  forward(ctx: ForwardContext, x: string): LayerOutput {
    const { g } = ctx;
    const [w, b] = this.params.map((p) => ctx.param(p.name)) as [string, string];
    const y = g.op('Gemm', [x, w, b], {}, 'dense');
    return {
      y,
      tape: {
        backward: (gb: typeof g, dy: string, grads: Map<string, string>, needDx: boolean) => {
          grads.set(this.params[0]!.name, gb.op('Gemm', [x, dy], { transA: 1 }, 'dW'));
          grads.set(this.params[1]!.name, gb.op('ReduceSum', [dy, gb.const('axes0', [0], 'int64')], { keepdims: 0 }, 'db'));
          return needDx ? gb.op('Gemm', [dy, w], { transB: 1 }, 'dx') : undefined;
        },
      },
    };
  }
}
