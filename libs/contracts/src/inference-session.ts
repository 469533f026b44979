/**
 * How a model is opened for inference: the device agent serves and benchmarks with these options, and distillation
 * times its candidates (fp32 vs int8) with them, so a choice made on measured latency holds where the model runs.
 * Plain values (no onnxruntime import) so every package can use them.
 *
 * - graphOptimizationLevel 'all': onnxruntime's QDQ fusions (QLinearConv, QGemm), the NHWC transformer for integer
 *   convolutions and the NCHWc layout for float ones; at a lower level static int8 runs DequantizeLinear → float
 *   ops and is slower than fp32.
 * - interOpNumThreads 1: graphs run sequentially; parallelism is inside ops (intraOpNumThreads).
 */
export function inferenceSessionOptions(threads: number): { intraOpNumThreads: number; interOpNumThreads: number; graphOptimizationLevel: 'all' } {
  return { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
}
