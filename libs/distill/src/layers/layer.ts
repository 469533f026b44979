import { GraphBuilder } from '@edgefleet/onnx';

/** A trainable tensor a layer owns. */
export interface ParamSpec {
  name: string;
  shape: number[];
  /** `he`: N(0, 2/fanIn) for weights feeding ReLUs; `zeros` for biases. */
  init: 'he' | 'zeros';
  fanIn: number;
  /** Weight decay applies to weights, not to biases. */
  decay: boolean;
}

/** What forward kept so backward can run: closes over the values it saved. */
export interface Tape {
  /**
   * Emits the gradient nodes. Writes each parameter's gradient into `grads` and returns dL/dx,
   * or undefined when `needDx` is false (the first layer never needs it: saves a whole backward op).
   */
  backward(g: GraphBuilder, dy: string, grads: Map<string, string>, needDx: boolean): string | undefined;
}

export interface LayerOutput {
  y: string;
  tape: Tape;
}

export interface ForwardContext {
  g: GraphBuilder;
  /** Graph value holding each parameter, by parameter name. */
  param(name: string): string;
  training: boolean;
  /** Seed for stochastic layers (dropout), fixed per graph so runs are reproducible. */
  seed: number;
}

/** A layer with its shapes fixed (batch dimension excluded). */
export interface Layer {
  readonly kind: string;
  readonly inShape: number[];
  readonly outShape: number[];
  readonly params: ParamSpec[];
  /** Multiply-accumulates per sample in the forward pass. */
  readonly macs: number;
  forward(ctx: ForwardContext, x: string): LayerOutput;
}

export const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
