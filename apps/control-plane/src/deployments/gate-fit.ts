import type { Gates } from '@edgefleet/contracts';

/**
 * Gates no device could ever judge for this model, one line each (empty = all can be measured). A device fails a
 * gate it cannot measure (device-agent gates.ts), so such a deployment would only ever be rejected everywhere:
 * `minAccuracy` needs an eval set that scores an accuracy (multiclass, binary, multilabel; a regression set is
 * scored by MAE).
 */
export function unmeasurableGates(gates: Gates, artifact: { name: string; evalSetSha256: string | null; evalTask: string | null }): string[] {
  if (gates.minAccuracy === undefined) return [];
  if (!artifact.evalSetSha256) {
    return [`gates.minAccuracy needs an eval set: model ${artifact.name} has none, so no device could measure its accuracy (upload the model with an evalSet)`];
  }
  if (artifact.evalTask === 'regression') {
    return [`gates.minAccuracy does not apply to model ${artifact.name}: its eval set is a regression set, scored by MAE, not accuracy`];
  }
  return [];
}

/**
 * `gates` without the ones no device could judge for this model (unmeasurableGates: only `minAccuracy` can be). For a
 * caller that checked that requirement itself — the autopilot picks a variant on the catalogue's accuracy.
 */
export function measurableGates(gates: Gates, artifact: { name: string; evalSetSha256: string | null; evalTask: string | null }): Gates {
  if (unmeasurableGates(gates, artifact).length === 0) return gates;
  const { minAccuracy: _judgedByTheCaller, ...rest } = gates;
  return rest;
}
