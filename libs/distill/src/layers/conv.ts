import { Layer, LayerOutput, ForwardContext, ParamSpec } from './layer';
import type { GraphBuilder } from '@edgefleet/onnx';
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
          grads.set(this.params[0]!.name, this.weightGradient(gb, x, dy));
          grads.set(this.params[1]!.name, gb.op('ReduceSum', [dy, gb.const('axes023', [0, 2, 3], 'int64')], { keepdims: 0 }, 'db'));
          // dx is the transposed convolution of dy with the same weights.
          return needDx ? gb.op('ConvTranspose', [dy, w], { kernel_shape: k, pads }, 'dx') : undefined;
        },
      },
    };
  }

  /**
   * dW[o,c,u,v] = Σ_n,h,w dy[n,o,h,w]·x_pad[n,c,h+u,w+v], as im2col + one batched GEMM: the k² shifted
   * views of the padded input are stacked into cols [N, C·k², H·W], then dy [N, O, H·W] × colsᵀ is
   * summed over the batch. Measured here against the convolution form (x and dy with batch and
   * channel axes swapped, dy as the kernel): 1.4–3× faster on 2 cores for the students' and the
   * teacher's layers (e.g. 8→16 channels at 14×14, batch 128: 6.8 → 2.3 ms; 32→64: 30 → 9.8 ms).
   */
  private weightGradient(g: GraphBuilder, x: string, dy: string): string {
    const [c, h, w] = this.inShape as [number, number, number];
    const [o] = this.outShape as [number];
    const k = this.kernel;
    const p = this.pad;
    // The k² shifted views, as one depthwise convolution with one-hot kernels (group = C, k² outputs per channel):
    // channel c·k² + (u·k + v) of the result is x_pad shifted by (u, v) — the [N, C, k², H, W] layout im2col needs.
    // Measured against k² Slices + Concat on 2 cores, batch 128: 1→9 channels at 28×28 6.5 → 2.5 ms, 8→72 at
    // 14×14 4.5 → 1.9 ms.
    const k2 = k * k;
    const onehot = new Float32Array(c * k2 * k2);
    for (let ch = 0; ch < c; ch++) for (let j = 0; j < k2; j++) onehot[(ch * k2 + j) * k2 + j] = 1;
    const stacked = g.op('Conv', [x, g.initializer('shift_kernels', onehot, [c * k2, 1, k, k])], { kernel_shape: [k, k], pads: [p, p, p, p], group: c }, 'x_cols4');
    const cols = g.op('Reshape', [stacked, g.const('cols_shape', [-1, c * k2, h * w], 'int64')], {}, 'x_cols');
    const dyr = g.op('Reshape', [dy, g.const('dy_shape', [-1, o, h * w], 'int64')], {}, 'dy_rows');
    const perSample = g.op('MatMul', [dyr, g.op('Transpose', [cols], { perm: [0, 2, 1] })], {}, 'dW_n'); // [N, O, C·k²]
    const summed = g.op('ReduceSum', [perSample, g.const('axes0', [0], 'int64')], { keepdims: 0 });
    return g.op('Reshape', [summed, g.const('w_shape', [o, c, k, k], 'int64')], {}, 'dW');
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
