import type { ModelSpec } from '@edgefleet/distill';

/**
 * Students within this fraction of the biggest fitting one's MACs count as the same size. Extra layers add few
 * MACs (the first layer dominates), so ranking by MACs alone always took the deepest, narrowest student of a
 * size: `mlp:32x16x8` over `mlp:32`, which distilled to 0.40–0.56 accuracy where one wider layer does much better.
 */
export const SIMILAR_MACS = 0.7;

/**
 * Capacity proxy: the fewest units any hidden layer passes on (hidden dense units, conv filters). Information
 * lost in a narrow layer cannot be recovered by the layers after it, and a distilled student has to carry the
 * teacher's soft targets for every class through it.
 */
export function narrowestHiddenWidth(spec: ModelSpec): number {
  const widths: number[] = [];
  const lastDense = spec.layers.map((l) => l.kind).lastIndexOf('dense');
  spec.layers.forEach((l, i) => {
    if (l.kind === 'conv2d') widths.push(l.filters);
    else if (l.kind === 'dense' && i !== lastDense) widths.push(l.units);
  });
  return widths.length > 0 ? Math.min(...widths) : 0;
}

const hiddenLayers = (spec: ModelSpec) => spec.layers.filter((l) => l.kind === 'dense' || l.kind === 'conv2d').length - 1;

/**
 * Among students that fit, the one to distil: of those within `SIMILAR_MACS` of the biggest, the widest
 * narrowest layer, then the most MACs, then the fewest layers. Expects a non-empty list.
 */
export function pickStudent<T extends { spec: ModelSpec; macs: number }>(fitting: readonly T[]): T {
  const biggest = Math.max(...fitting.map((p) => p.macs));
  const pool = fitting.filter((p) => p.macs >= SIMILAR_MACS * biggest);
  return pool.reduce((best, p) => {
    const d = narrowestHiddenWidth(p.spec) - narrowestHiddenWidth(best.spec)
      || p.macs - best.macs
      || hiddenLayers(best.spec) - hiddenLayers(p.spec);
    return d > 0 ? p : best;
  });
}
