import type { GateResult, Gates } from '@edgefleet/contracts';

export interface Measured {
  p95Ms?: number;
  accuracy?: number;
  peakRssMb?: number;
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
  check('maxMemoryMb', gates.maxMemoryMb, m.peakRssMb, (v, l) => v <= l);
  return out;
}

export const allPassed = (results: readonly GateResult[]) => results.every((r) => r.passed);
