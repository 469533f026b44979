/** Options or data that cannot be used (bad flag, shape mismatch, empty split). */
export class DistillConfigError extends Error {
  override readonly name = 'DistillConfigError';
}

/** A run stopped through its AbortSignal. */
export class DistillAbortedError extends Error {
  override readonly name = 'DistillAbortedError';
  constructor() {
    super('distillation aborted');
  }
}

export const throwIfAborted = (signal?: AbortSignal): void => {
  if (signal?.aborted) throw new DistillAbortedError();
};
