/** A model file or graph that cannot be read or is malformed. */
export class OnnxModelError extends Error {
  override readonly name = 'OnnxModelError';
}
