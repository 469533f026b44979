import { Injectable, Logger } from '@nestjs/common';
import { LATENCY_BUCKETS_MS, decodeAnyEvalSet, evalTaskOf, parseFeaturizer } from '@edgefleet/contracts';
import { ArtifactStore } from '@edgefleet/platform';
import { ModelRepository } from '@edgefleet/catalog';
import { TelemetryConfig } from './telemetry.config';
import { addInto, BUCKET_MS, TelemetryRepository, type Resolution, type TelemetryCell, type TelemetryFilter } from './telemetry.repository';

export interface SeriesPoint {
  t: string;
  inferences: number;
  errors: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  meanTopProbability: number | null;
}

export interface DriftItem {
  modelId: string;
  profileClass: string;
  metric: 'psi';
  value: number;
  drifted: boolean;
  windowEnd: string;
  /** Inferences the compared windows hold. */
  inferences: number;
}

/**
 * Quantile `q` of a LATENCY_BUCKETS_MS histogram, interpolated linearly inside its bucket (0 is the first bucket's
 * lower edge); a quantile in the overflow bucket is reported as the last bound (a floor, not the value).
 */
export function histogramQuantile(hist: readonly number[], q: number): number | null {
  const n = hist.reduce((a, b) => a + b, 0);
  if (n === 0) return null;
  const rank = q * n;
  let cum = 0;
  for (let i = 0; i < hist.length; i++) {
    const c = hist[i] ?? 0;
    if (c > 0 && cum + c >= rank) {
      if (i >= LATENCY_BUCKETS_MS.length) return LATENCY_BUCKETS_MS.at(-1)!;
      const lo = i === 0 ? 0 : LATENCY_BUCKETS_MS[i - 1]!;
      const hi = LATENCY_BUCKETS_MS[i]!;
      return Math.round((lo + ((rank - cum) / c) * (hi - lo)) * 1000) / 1000;
    }
    cum += c;
  }
  return LATENCY_BUCKETS_MS.at(-1)!;
}

/** Smallest share a bin is given before PSI (an empty bin would make it infinite). */
const PSI_EPSILON = 1e-4;

/**
 * Population stability index of `actual` against `expected` (counts over the same bins):
 * Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ) over shares, each share at least PSI_EPSILON. 0 = same distribution; > 0.2 is the
 * customary "significant shift".
 */
export function psi(actual: readonly number[], expected: readonly number[]): number {
  const bins = Math.max(actual.length, expected.length);
  const share = (v: readonly number[]) => {
    const n = v.reduce((a, b) => a + b, 0);
    return Array.from({ length: bins }, (_, i) => Math.max(PSI_EPSILON, n > 0 ? (v[i] ?? 0) / n : 0));
  };
  const a = share(actual);
  const e = share(expected);
  return a.reduce((sum, ai, i) => sum + (ai - e[i]!) * Math.log(ai / e[i]!), 0);
}

/** Series ready to plot and drift against each model's eval-set baseline. */
@Injectable()
export class TelemetryQuery {
  private readonly log = new Logger('TelemetryQuery');
  private readonly baselines = new Map<string, number[] | null>();

  constructor(
    private readonly repo: TelemetryRepository,
    private readonly models: ModelRepository,
    private readonly store: ArtifactStore,
    private readonly config: TelemetryConfig,
  ) {}

  /**
   * `raw`: one point per distinct window end. `1m`/`1h`: one point per bucket, from the rollups for buckets the
   * maintenance job has closed and from the raw windows for the most recent ones (so the series is current).
   */
  async series(resolution: Resolution, from: Date, to: Date, filter: TelemetryFilter, now = new Date()): Promise<SeriesPoint[]> {
    let cells: TelemetryCell[];
    let size = 0;
    if (resolution === 'raw') {
      cells = await this.repo.windows(from, to, filter);
    } else {
      size = BUCKET_MS[resolution];
      const cut = new Date(Math.floor((now.getTime() - 2 * this.config.maintenanceMs - size) / size) * size);
      const rolled = cut > from ? await this.repo.rollups(resolution, from, cut < to ? cut : to, filter) : [];
      const recent = cut < to ? await this.repo.windows(cut > from ? cut : from, to, filter) : [];
      cells = [...rolled, ...recent];
    }
    const points = new Map<number, { n: number; err: number; pSum: number; lat: number[] }>();
    for (const c of cells) {
      const t = size ? Math.floor(c.t.getTime() / size) * size : c.t.getTime();
      let p = points.get(t);
      if (!p) points.set(t, (p = { n: 0, err: 0, pSum: 0, lat: [] }));
      p.n += c.count;
      p.err += c.errors;
      p.pSum += c.topProbSum;
      addInto(p.lat, c.latencyHist);
    }
    return [...points].sort(([a], [b]) => a - b).map(([t, p]) => ({
      t: new Date(t).toISOString(),
      inferences: p.n,
      errors: p.err,
      latencyP50Ms: histogramQuantile(p.lat, 0.5),
      latencyP95Ms: histogramQuantile(p.lat, 0.95),
      meanTopProbability: p.n > 0 ? Math.round((p.pSum / p.n) * 1e6) / 1e6 : null,
    }));
  }

  /**
   * Per (model, class) with telemetry: PSI of the class distribution of the windows that ended in the last
   * TELEMETRY_DRIFT_WINDOW_S before the latest one against the labels of the model's eval set. Models without an
   * eval set have no baseline and are not listed.
   */
  async drift(filter: TelemetryFilter): Promise<DriftItem[]> {
    const items: DriftItem[] = [];
    for (const g of await this.repo.latestPerModelClass(filter)) {
      const baseline = await this.baseline(g.modelId);
      if (!baseline) continue;
      const d = await this.repo.distribution(g.modelId, g.profileClass, new Date(g.end.getTime() - this.config.driftWindowMs), g.end);
      if (d.count === 0) continue;
      const value = Math.round(psi(d.classCounts, baseline) * 1e4) / 1e4;
      items.push({ modelId: g.modelId, profileClass: g.profileClass, metric: 'psi', value, drifted: value > this.config.driftPsiThreshold, windowEnd: g.end.toISOString(), inferences: d.count });
    }
    return items;
  }

  /** Class counts of the model's eval-set labels (cached; null when the model has no eval set). */
  private async baseline(modelId: string): Promise<number[] | null> {
    if (this.baselines.has(modelId)) return this.baselines.get(modelId)!;
    let counts: number[] | null = null;
    const m = await this.models.find(modelId);
    if (m?.evalSetSha256 && m.evalSetSize) {
      try {
        const bytes = await this.store.read(m.evalSetSha256, 0, m.evalSetSize);
        const set = decodeAnyEvalSet(bytes, m.featurizer ? parseFeaturizer(m.featurizer) : undefined);
        // Served predictions are counted by argmax (top class, docs/telemetry.md): only a multi-class set's labels are comparable
        // (a sigmoid head's argmax is always 0; multi-label and regression sets hold no class per sample).
        if (evalTaskOf(set) === 'multiclass') {
          counts = [];
          for (const y of set.y) counts[y] = (counts[y] ?? 0) + 1;
          counts = Array.from(counts, (c) => c ?? 0);
        }
      } catch (err) {
        this.log.warn(`no drift baseline for model ${modelId}: ${(err as Error).message}`);
      }
    }
    this.baselines.set(modelId, counts);
    return counts;
  }
}
