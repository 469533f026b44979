import { Layer, LayerOutput, ForwardContext, ParamSpec } from './layer';
import { DistillConfigError } from '../errors';

/** 2-D convolution, stride 1, `same` zero padding, odd square kernel. Input and output are [C, H, W]. */
export class Conv2d implements Layer {
  readonly kind = 'conv2d';
  readonly outShape: number[];
  readonly params: ParamSpec[];
  readonly macs: number;
  private readonly pad: number;

  constructor(readonly inShape: number[], filters: number, readonly kernel: number, prefix: string) {
    if (inShape.length !== 3) throw new DistillConfigError(`conv2d needs [C, H, W] input, got [${inShape}]`);
    if (kernel % 2 !== 1) throw new DistillConfigError(`conv2d kernel must be odd, got ${kernel}`);
    const [c, h, w] = inShape as [number, number, number];
    this.pad = (kernel - 1) / 2;
    this.outShape = [filters, h, w];
    const fanIn = c * kernel * kernel;
    this.macs = filters * h * w * fanIn;
    this.params = [
      { name: `${prefix}.weight`, shape: [filters, c, kernel, kernel], init: 'he', fanIn, decay: true },
      { name: `${prefix}.bias`, shape: [filters], init: 'zeros', fanIn, decay: false },
    ];
  }

  forward(ctx: ForwardContext, x: string): LayerOutput {
    const { g } = ctx;
    const [w, b] = this.params.map((p) => ctx.param(p.name)) as [string, string];
    const pads = [this.pad, this.pad, this.pad, this.pad];
    const k = [this.kernel, this.kernel];
    const y = g.op('Conv', [x, w, b], { kernel_shape: k, pads }, 'conv');
    return {
      y,
      tape: {
        backward: (gb: typeof g, dy: string, grads: Map<string, string>, needDx: boolean) => {
          // dW[o,i,u,v] = Σ_n,h,w x[n,i,h+u−p,w+v−p]·dy[n,o,h,w]: a convolution of x (channels as batch)
          // with dy (batch as channels) as the kernel; then swap the first two axes back.
          const perm = { perm: [1, 0, 2, 3] };
          const xt = gb.op('Transpose', [x], perm, 'xT');
          const dyt = gb.op('Transpose', [dy], perm, 'dyT');
          const dwt = gb.op('Conv', [xt, dyt], { pads }, 'dWT');
          grads.set(this.params[0]!.name, gb.op('Transpose', [dwt], perm, 'dW'));
          grads.set(this.params[1]!.name, gb.op('ReduceSum', [dy, gb.const('axes023', [0, 2, 3], 'int64')], { keepdims: 0 }, 'db'));
          // dx is the transposed convolution of dy with the same weights.
          return needDx ? gb.op('ConvTranspose', [dy, w], { kernel_shape: k, pads }, 'dx') : undefined;
        },
      },
    };
  }
}

/** Max pooling over size×size windows with stride = size (non-overlapping, floor). */
export class MaxPool2d implements Layer {
  readonly kind = 'maxpool2d';
  readonly outShape: number[];
  readonly params = [];
  readonly macs = 0;

  constructor(readonly inShape: number[], readonly poolSize: number) {
    if (inShape.length !== 3) throw new DistillConfigError(`maxpool2d needs [C, H, W] input, got [${inShape}]`);
    const [c, h, w] = inShape as [number, number, number];
    this.outShape = [c, Math.floor(h / poolSize), Math.floor(w / poolSize)];
  }

  forward({ g, training }: ForwardContext, x: string): LayerOutput {
    const k = [this.poolSize, this.poolSize];
    if (!training) return { y: g.op('MaxPool', [x], { kernel_shape: k, strides: k }, 'pool'), tape: { backward: () => undefined } };
    const [y, idx] = g.node('MaxPool', [x], [g.fresh('pool'), g.fresh('pool_idx')], { kernel_shape: k, strides: k }) as [string, string];
    return {
      y,
      tape: {
        // The gradient goes to the arg-max of each window: exactly what MaxUnpool scatters.
        backward: (gb: typeof g, dy: string) => gb.op('MaxUnpool', [dy, idx, gb.op('Shape', [x])], { kernel_shape: k, strides: k }, 'dpool'),
      },
    };
  }
}
