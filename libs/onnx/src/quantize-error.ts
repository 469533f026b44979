/**
 * A model the quantizer refuses to convert: an operator onnxruntime cannot run, or a weight layout
 * the rewrite cannot convert faithfully. The message names the operator and node.
 */
export class QuantizationError extends Error {
  override readonly name = 'QuantizationError';

  constructor(
    /** `domain::OpType`, or the op type alone for the default domain. */
    readonly operator: string,
    message: string,
  ) {
    super(message);
  }
}
