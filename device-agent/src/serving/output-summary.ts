/** What telemetry records of one inference's first output row. */
export interface InferenceSummary {
  topClass: number;
  /** Probability of the top class (softmax of the output unless it already is a distribution). */
  topProbability: number;
  /** Top-1 minus top-2 probability (1 for a single-class output). */
  margin: number;
  /** Shannon entropy of the distribution, nats. */
  entropy: number;
}

/**
 * Reads the first row as class scores: probabilities when they already are (all in [0, 1], summing to 1 ± 1e-3),
 * otherwise logits turned into probabilities with a stable softmax.
 */
export function toProbabilities(scores: readonly number[]): number[] {
  const sum = scores.reduce((a, b) => a + b, 0);
  if (scores.every((v) => v >= 0 && v <= 1) && Math.abs(sum - 1) < 1e-3) return [...scores];
  const max = Math.max(...scores);
  const exps = scores.map((v) => Math.exp(v - max));
  const z = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / z);
}

/** Summary of the first row of a classifier output (`data` flat; a batch > 1 is summarized on its first sample). */
export function summarizeOutput(data: readonly number[], rows = 1): InferenceSummary {
  if (data.length === 0) throw new Error('the model returned an empty output');
  const cols = Math.max(1, Math.floor(data.length / Math.max(1, rows)));
  const p = toProbabilities(data.slice(0, cols));
  let top = 0;
  let second = -1;
  for (let i = 1; i < p.length; i++) {
    if (p[i]! > p[top]!) {
      second = top;
      top = i;
    } else if (second < 0 || p[i]! > p[second]!) second = i;
  }
  const entropy = -p.reduce((a, v) => (v > 0 ? a + v * Math.log(v) : a), 0);
  return { topClass: top, topProbability: p[top]!, margin: p[top]! - (second >= 0 ? p[second]! : 0), entropy };
}
