import { Injectable, Logger } from '@nestjs/common';
import { LATENCY_BUCKETS_MS, decodeAnyEvalSet, evalTaskOf, parseFeaturizer } from '@edgefleet/contracts';
import type { TelemetryBaseline } from '@edgefleet/db';
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

export const DRIFT_METRICS = ['psi', 'confidence_psi'] as const;
export type DriftMetric = (typeof DRIFT_METRICS)[number];

export interface DriftItem {
  modelId: string;
  profileClass: string;
  /**
   * psi: the class distribution against the labels of the model's eval set; confidence_psi: the top-probability
   * histogram against the model's first TELEMETRY_BASELINE_S of telemetry on this class (its baseline).
   */
  metric: DriftMetric;
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

/** Longest range one series request covers per resolution (points stay plottable, reads stay bounded). */
export const MAX_SERIES_RANGE_MS = { raw: 86_400_000, '1m': 7 * 86_400_000, '1h': 400 * 86_400_000 } as const satisfies Record<Resolution, number>;

/** The problem with a series request's range (a 400's message), or undefined when it is fine. */
export function seriesRangeProblem(resolution: Resolution, from: Date, to: Date): string | undefined {
  if (!(from < to)) return 'from must be before to';
  if (to.getTime() - from.getTime() > MAX_SERIES_RANGE_MS[resolution]) return `a ${resolution} series covers at most ${MAX_SERIES_RANGE_MS[resolution] / 86_400_000} days`;
  return undefined;
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
   * Per (model, class) with telemetry, over the windows that ended in the last TELEMETRY_DRIFT_WINDOW_S before the
   * latest one: PSI of their class distribution against the labels of the model's eval set (models without an eval
   * set have no such item), and PSI of their confidence histogram against the model's baseline on that class — the
   * windows of its first TELEMETRY_BASELINE_S, taken once that span is over and kept (TelemetryBaseline). No
   * confidence item while the compared windows still overlap the baseline's span.
   */
  async drift(filter: TelemetryFilter): Promise<DriftItem[]> {
    const items: DriftItem[] = [];
    for (const g of await this.repo.latestPerModelClass(filter)) {
      const since = new Date(g.end.getTime() - this.config.driftWindowMs);
      const d = await this.repo.distribution(g.modelId, g.profileClass, since, g.end);
      if (d.count === 0) continue;
      const item = (metric: DriftMetric, v: number): DriftItem => {
        const value = Math.round(v * 1e4) / 1e4;
        return { modelId: g.modelId, profileClass: g.profileClass, metric, value, drifted: value > this.config.driftPsiThreshold, windowEnd: g.end.toISOString(), inferences: d.count };
      };
      const labels = await this.evalSetLabels(g.modelId);
      if (labels) items.push(item('psi', psi(d.classCounts, labels)));
      const base = await this.confidenceBaseline(g);
      if (base && since >= base.to) items.push(item('confidence_psi', psi(d.confHist, base.confHist)));
    }
    return items;
  }

  /** The stored baseline of (model, class), or taken now when its span is over (null before). */
  private async confidenceBaseline(g: { modelId: string; profileClass: string; first: Date; end: Date }): Promise<TelemetryBaseline | null> {
    const stored = await this.repo.baseline(g.modelId, g.profileClass);
    if (stored) return stored;
    // The span starts at the first window's start, about: its end less a moment, so the first window is inside.
    const from = new Date(g.first.getTime() - 1);
    const to = new Date(from.getTime() + this.config.baselineMs);
    if (g.end <= to) return null;
    const b = await this.repo.distribution(g.modelId, g.profileClass, from, to);
    if (b.count === 0) return null;
    return this.repo.saveBaseline({ modelId: g.modelId, profileClass: g.profileClass, from, to, inferences: b.count, classCounts: b.classCounts, confHist: b.confHist });
  }

  /** Class counts of the model's eval-set labels (cached; null when the model has no eval set). */
  private async evalSetLabels(modelId: string): Promise<number[] | null> {
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
