import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { fitPredictors, recommend, type Budget, type Recommendation, type Variant } from '@edgefleet/selection';
import { ProfilesService } from '../profiles/profile.service';
import { ArtifactCostService } from './artifact-cost.service';
import type { FleetSnapshot } from './fleet-snapshot';
import { toClassProfile, toObservation, toVariant } from './fleet-mapping';
import { ModelRepository } from '@edgefleet/catalog';
import { ReportRepository } from '../reports/report.repository';

export interface RecommendationRequest extends Budget {
  family?: string;
  /** Artifacts that must not be chosen (the autopilot's variants rejected on this class). */
  excludeVariantIds?: readonly string[];
}

export interface RecommendationResult extends Recommendation {
  /** Artifacts left out because their file could not be read (see the log). */
  skipped: string[];
}

/**
 * How long a read of the watermark is trusted. Reports stored by this process invalidate at once (event); those
 * stored by another control plane on the same database are seen within this time.
 */
const WATERMARK_TTL_MS = 1_000;

/**
 * Loads the fleet (classes, catalogue, reports), fits the latency and memory models and asks libs/selection
 * for the variant a class should run. The fitted models are kept until the data under them changes (a new report
 * or artifact moves the database's watermark), so a recommendation costs a few small queries, not a refit on
 * up to 20,000 reports. Read-only: it never writes to the database.
 */
@Injectable()
export class SelectionService {
  private readonly log = new Logger('Selection');
  private snapshot?: Promise<FleetSnapshot>;
  private checked?: { watermark: string; at: number };
  private fits = 0;

  constructor(
    private readonly profiles: ProfilesService,
    private readonly models: ModelRepository,
    private readonly reports: ReportRepository,
    private readonly costs: ArtifactCostService,
  ) {}

  /** Number of times the models were fitted since start (tests and the bench check the cache with it). */
  get fitCount(): number {
    return this.fits;
  }

  @OnEvent('device.reported')
  @OnEvent('models.published')
  invalidate(): void {
    this.checked = undefined;
  }

  /**
   * The recommendation for hardware class `profileClass` (NotFoundError when no device has it). An absent
   * maxLatencyP95Ms defaults to the class profile's latencyBudgetMs.
   */
  async recommend(profileClass: string, req: RecommendationRequest): Promise<RecommendationResult> {
    const target = await this.profiles.get(profileClass);
    const fleet = await this.fleet();
    const budget: Budget = {
      maxLatencyP95Ms: req.maxLatencyP95Ms ?? target.example.latencyBudgetMs,
      maxMemoryMb: req.maxMemoryMb,
      minAccuracy: req.minAccuracy,
    };
    const cls = toClassProfile(target.profileClass, target.example);
    const r = recommend({
      cls, budget, family: req.family, variants: fleet.variants, observations: fleet.observations,
      classes: fleet.classes.some((c) => c.profileClass === cls.profileClass) ? fleet.classes : [...fleet.classes, cls],
      // A class that has not reported is not in the fit; its predictions come from its prior either way.
      predictors: fleet.predictors,
      exclude: req.excludeVariantIds ? new Set(req.excludeVariantIds) : undefined,
    });
    return { ...r, skipped: fleet.skipped };
  }

  /** The fitted fleet, rebuilt only when the watermark moved. Concurrent callers share one build. */
  private async fleet(): Promise<FleetSnapshot> {
    const now = Date.now();
    let watermark = this.checked && now - this.checked.at < WATERMARK_TTL_MS ? this.checked.watermark : undefined;
    if (watermark === undefined) {
      watermark = await this.watermark();
      this.checked = { watermark, at: now };
    }
    const current = this.snapshot;
    if (current) {
      const s = await current.catch(() => undefined);
      if (s?.watermark === watermark) return s;
      if (this.snapshot !== current) return this.fleet(); // someone else started the rebuild meanwhile
    }
    const build = this.build(watermark);
    this.snapshot = build;
    build.catch(() => { if (this.snapshot === build) this.snapshot = undefined; });
    return build;
  }

  /**
   * What the fitted models depend on, in two cheap queries: reports with a latency and catalogue rows, counted
   * and newest-dated. Both are only appended (or deleted with their device / model), so an equal watermark means
   * the same data — judged by the database, so it holds with several control planes.
   */
  private async watermark(): Promise<string> {
    const [reports, models] = await Promise.all([this.reports.latencyWatermark(), this.models.catalogueWatermark()]);
    return `${reports}|${models}`;
  }

  private async build(watermark: string): Promise<FleetSnapshot> {
    const started = performance.now();
    const [classes, artifacts, reports] = await Promise.all([this.profiles.list(), this.models.listCatalogue(), this.reports.listLatencyObservations()]);
    const variants: Variant[] = [];
    const skipped: string[] = [];
    for (const a of artifacts) {
      const { macs, problem } = await this.costs.macsOf(a);
      if (macs !== undefined) variants.push(toVariant(a, macs));
      else skipped.push(problem!);
    }
    const observations = reports.map(toObservation);
    const profiles = classes.map((c) => toClassProfile(c.profileClass, c.example));
    const predictors = fitPredictors(observations, variants, profiles);
    this.fits += 1;
    const builtMs = performance.now() - started;
    this.log.debug(`latency model fitted on ${observations.length} reports, ${variants.length} variants, ${profiles.length} classes in ${builtMs.toFixed(0)} ms`);
    return { watermark, variants, observations, classes: profiles, predictors, skipped, builtMs };
  }
}
