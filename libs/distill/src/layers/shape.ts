import { Layer, LayerOutput, ForwardContext, size } from './layer';

/** Flattens [C, H, W] (or any shape) to one feature axis; also used to reshape flat rows to images. */
export class Reshape implements Layer {
  readonly kind: string;
  readonly params = [];
  readonly macs = 0;

  constructor(readonly inShape: number[], readonly outShape: number[]) {
    this.kind = outShape.length === 1 ? 'flatten' : 'reshape';
  }

  forward({ g }: ForwardContext, x: string): LayerOutput {
    const y = g.op('Reshape', [x, g.const('shape', [-1, ...this.outShape], 'int64')], {}, this.kind);
    return {
      y,
      tape: {
        backward: (gb: typeof g, dy: string) => gb.op('Reshape', [dy, gb.const('shape', [-1, ...this.inShape], 'int64')], {}, `d${this.kind}`),
      },
    };
  }
}

export const flatten = (inShape: number[]): Reshape => new Reshape(inShape, [size(inShape)]);
