import type { GateResult, Gates } from '@edgefleet/contracts';

export interface Measured {
  p95Ms?: number;
  accuracy?: number;
  /** The model's own memory (memory.ts runtimeBaselineMb), not the process peak. */
  modelMemoryMb?: number;
}

/**
 * One result per gate the desired state sets. A gate whose value could not be measured (no eval set for
 * `minAccuracy`, a failed run) fails: a model has to prove it fits, not merely not be shown to misfit.
 */
export function evaluateGates(gates: Gates, m: Measured): GateResult[] {
  const out: GateResult[] = [];
  const check = (gate: GateResult['gate'], limit: number | undefined, measured: number | undefined, ok: (v: number, l: number) => boolean) => {
    if (limit === undefined) return;
    out.push({ gate, limit, ...(measured !== undefined && { measured }), passed: measured !== undefined && Number.isFinite(measured) && ok(measured, limit) });
  };
  check('maxLatencyP95Ms', gates.maxLatencyP95Ms, m.p95Ms, (v, l) => v <= l);
  check('minAccuracy', gates.minAccuracy, m.accuracy, (v, l) => v >= l);
  check('maxMemoryMb', gates.maxMemoryMb, m.modelMemoryMb, (v, l) => v <= l);
  return out;
}

export const allPassed = (results: readonly GateResult[]) => results.every((r) => r.passed);

/**
 * How far over its latency gate a model may measure and still get a second timed pass before it is rejected.
 * Sub-millisecond p95s move 2–3× when a neighbour takes the CPU for a moment (measured on a shared 2-core host:
 * the same model at 0.27 and 0.41 ms minutes apart), and a rejection is final for the control plane's autopilot.
 * Beyond 2× a second pass would not change the verdict; the control plane probes variants predicted within the
 * same factor (PROBE_FACTOR).
 */
export const REMEASURE_FACTOR = 2;

/** True when latency is the only failing gate and it missed by no more than REMEASURE_FACTOR. */
export function remeasureWanted(results: readonly GateResult[]): boolean {
  const failed = results.filter((r) => !r.passed);
  const only = failed.length === 1 ? failed[0] : undefined;
  return only?.gate === 'maxLatencyP95Ms' && only.measured !== undefined && only.measured <= only.limit * REMEASURE_FACTOR;
}
