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

/**
 * onnxruntime refusing what it was given — input dimensions, a kernel's shape check ("Non-zero status code returned
 * while running Gemm node") — fails again on every run with the same model and data, so a job queue must not retry
 * it. Running out of memory is left out: a retry on a quieter host may not meet it.
 */
export function isRepeatableRuntimeError(err: unknown): boolean {
  const m = err instanceof Error ? err.message : '';
  return /invalid dimensions|invalid rank|shape|Non-zero status code returned while running/i.test(m) && !/alloc|out of memory/i.test(m);
}
