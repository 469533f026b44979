import { Injectable } from '@nestjs/common';
import { recommend, type Budget, type Recommendation, type Variant } from '@edgefleet/selection';
import { ProfilesService } from '../profiles/profile.service';
import { ArtifactCostService } from './artifact-cost.service';
import { toClassProfile, toObservation, toVariant } from './fleet-mapping';
import { ModelRepository } from '../models/model.repository';
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
 * Loads the fleet (classes, catalogue, reports), fits the latency and memory models and asks libs/selection
 * for the variant a class should run. Stateless: every call sees the newest reports.
 */
@Injectable()
export class SelectionService {
  constructor(
    private readonly profiles: ProfilesService,
    private readonly models: ModelRepository,
    private readonly reports: ReportRepository,
    private readonly costs: ArtifactCostService,
  ) {}

  /**
   * The recommendation for hardware class `profileClass` (NotFoundError when no device has it). An absent
   * maxLatencyP95Ms defaults to the class profile's latencyBudgetMs.
   */
  async recommend(profileClass: string, req: RecommendationRequest): Promise<RecommendationResult> {
    const target = await this.profiles.get(profileClass);
    const [classes, artifacts, reports] = await Promise.all([this.profiles.list(), this.models.listCatalogue(), this.reports.listLatencyObservations()]);
    const variants: Variant[] = [];
    const skipped: string[] = [];
    for (const a of artifacts) {
      const { macs, problem } = await this.costs.macsOf(a);
      if (macs !== undefined) variants.push(toVariant(a, macs));
      else skipped.push(problem!);
    }
    const budget: Budget = {
      maxLatencyP95Ms: req.maxLatencyP95Ms ?? target.example.latencyBudgetMs,
      maxMemoryMb: req.maxMemoryMb,
      minAccuracy: req.minAccuracy,
    };
    const r = recommend({
      cls: toClassProfile(target.profileClass, target.example),
      budget,
      family: req.family,
      variants,
      observations: reports.map(toObservation),
      classes: classes.map((c) => toClassProfile(c.profileClass, c.example)),
      exclude: req.excludeVariantIds ? new Set(req.excludeVariantIds) : undefined,
    });
    return { ...r, skipped };
  }
}
