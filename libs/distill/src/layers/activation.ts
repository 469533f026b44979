import { Layer, LayerOutput, ForwardContext } from './layer';

export class ReLU implements Layer {
  readonly kind = 'relu';
  readonly outShape: number[];
  readonly params = [];
  readonly macs = 0;

  constructor(readonly inShape: number[]) {
    this.outShape = inShape;
  }

  forward({ g }: ForwardContext, x: string): LayerOutput {
    const y = g.op('Relu', [x]);
    return {
      y,
      tape: {
        // y ≥ 0, so Sign(y) is exactly the 0/1 derivative of ReLU (0 at the kink, as in most frameworks).
        backward: (gb: typeof g, dy: string) => gb.op('Mul', [dy, gb.op('Sign', [y])], {}, 'drelu'),
      },
    };
  }
}

/** Inverted dropout: scales by 1/(1−rate) while training, identity at inference. */
export class Dropout implements Layer {
  readonly kind = 'dropout';
  readonly outShape: number[];
  readonly params = [];
  readonly macs = 0;

  constructor(readonly inShape: number[], readonly rate: number, private readonly index: number) {
    this.outShape = inShape;
  }

  forward({ g, training, seed }: ForwardContext, x: string): LayerOutput {
    if (!training || this.rate <= 0) return { y: x, tape: { backward: (_g: typeof g, dy: string) => dy } };
    // The op's own generator advances on every run, so a fixed seed still gives a new mask per step
    // and the same sequence of masks for the same seed.
    const [y, mask] = g.node('Dropout', [x, g.const('drop_ratio', this.rate), g.const('drop_train', 1, 'bool')],
      [g.fresh('dropout'), g.fresh('dropout_mask')], { seed: (seed + 7919 * (this.index + 1)) % 2147483647 }) as [string, string];
    const scale = 1 / (1 - this.rate);
    return {
      y,
      tape: {
        backward: (gb: typeof g, dy: string) =>
          gb.op('Mul', [dy, gb.op('Mul', [gb.op('Cast', [mask], { to: 1 }), gb.const('drop_scale', scale)])], {}, 'ddrop'),
      },
    };
  }
}
