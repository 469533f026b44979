import { GraphBuilder } from '@edgefleet/onnx';
import { Layer, ParamSpec, Tape, size } from '../layers/layer';
import { Dense } from '../layers/dense';
import { ReLU, Dropout } from '../layers/activation';
import { Reshape, flatten } from '../layers/shape';
import { Conv2d, MaxPool2d } from '../layers/conv';
import { ModelSpec } from './spec';
import { DistillConfigError } from '../errors';
import { Prng } from '@edgefleet/toolkit';

/** A model spec instantiated for a data set's sample shape: layers with fixed shapes. */
export class Network {
  readonly layers: Layer[];
  readonly params: ParamSpec[];
  readonly numClasses: number;

  constructor(readonly spec: ModelSpec, readonly sampleShape: number[]) {
    if (size(sampleShape) !== size(spec.inputShape)) {
      throw new DistillConfigError(`${spec.name} expects ${size(spec.inputShape)} features per sample [${spec.inputShape}], data has ${size(sampleShape)} [${sampleShape}]`);
    }
    const layers: Layer[] = [];
    let shape = sampleShape;
    // Data rows may be flat while the model wants images (or the reverse): a free reshape bridges them.
    if (shape.join() !== spec.inputShape.join()) layers.push(new Reshape(shape, spec.inputShape));
    shape = spec.inputShape;
    spec.layers.forEach((l, i) => {
      const prefix = `${l.kind}${i}`;
      let layer: Layer;
      switch (l.kind) {
        case 'dense': layer = new Dense(shape, l.units, prefix); break;
        case 'relu': layer = new ReLU(shape); break;
        case 'dropout': layer = new Dropout(shape, l.rate, i); break;
        case 'flatten': layer = flatten(shape); break;
        case 'conv2d': layer = new Conv2d(shape, l.filters, l.kernel, prefix); break;
        case 'maxpool2d': layer = new MaxPool2d(shape, l.size); break;
        default: { const never: never = l; throw new DistillConfigError(`unknown layer ${JSON.stringify(never)}`); }
      }
      layers.push(layer);
      shape = layer.outShape;
    });
    if (shape.length !== 1) throw new DistillConfigError(`${spec.name} must end in a dense classifier, ends in [${shape}]`);
    this.layers = layers;
    this.params = layers.flatMap((l) => l.params);
    this.numClasses = shape[0]!;
  }

  get name(): string {
    return this.spec.name;
  }

  get paramCount(): number {
    return this.params.reduce((a, p) => a + size(p.shape), 0);
  }

  /** Forward multiply-accumulates per sample. */
  get macs(): number {
    return this.layers.reduce((a, l) => a + l.macs, 0);
  }

  /** Fresh weights: He-normal weights, zero biases, drawn from the seed's stream in layer order. */
  initParams(seed: number): Map<string, Float32Array> {
    const rng = new Prng(seed);
    const out = new Map<string, Float32Array>();
    for (const p of this.params) {
      const data = new Float32Array(size(p.shape));
      if (p.init === 'he') {
        const std = Math.sqrt(2 / p.fanIn);
        for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
      }
      out.set(p.name, data);
    }
    return out;
  }

  /** Emits the forward pass; returns the logits value and the tapes for backward (in layer order). */
  forward(g: GraphBuilder, x: string, param: (name: string) => string, training: boolean, seed = 0): { logits: string; tapes: Tape[] } {
    const tapes: Tape[] = [];
    let v = x;
    for (const layer of this.layers) {
      const { y, tape } = layer.forward({ g, param, training, seed }, v);
      tapes.push(tape);
      v = y;
    }
    return { logits: v, tapes };
  }

  /** Emits the backward pass from dL/dlogits; returns parameter gradients by name. */
  backward(g: GraphBuilder, tapes: Tape[], dlogits: string): Map<string, string> {
    const grads = new Map<string, string>();
    // Layers before the first parameterised one need no dx at all.
    const firstTrainable = this.layers.findIndex((l) => l.params.length > 0);
    let dy = dlogits;
    for (let i = tapes.length - 1; i >= firstTrainable && i >= 0; i--) {
      const dx = tapes[i]!.backward(g, dy, grads, i > firstTrainable);
      if (dx === undefined) break;
      dy = dx;
    }
    return grads;
  }
}
