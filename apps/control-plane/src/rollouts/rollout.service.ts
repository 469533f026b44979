import { Injectable, Optional } from '@nestjs/common';
import { ConflictError, InvalidInputError, NotFoundError, UnprocessableError } from '@edgefleet/platform';
import type { Page } from '@edgefleet/platform';
import { AuditRepository } from '@edgefleet/platform';
import type { Actor } from '@edgefleet/platform';
import { UnitOfWork } from '@edgefleet/platform';
import type { Db } from '@edgefleet/platform';
import { DeploymentsService } from '../deployments/deployment.service';
import { ModelRepository } from '@edgefleet/catalog';
import { ReportRepository } from '../reports/report.repository';
import { SegmentsService } from '../segments/segment.service';
import { pollChanges } from '../common/sse';
import { seriesRangeProblem, TelemetryQuery, type SeriesPoint } from '../telemetry/telemetry-query.service';
import type { Resolution } from '../telemetry/telemetry.repository';
import { classHealth, failureRate, retryAt, type FailureRate } from './rollout-decision';
import { RolloutRecord, RolloutRepository, type RolloutDecisionRecord, type RolloutDeviceRecord } from './rollout.repository';
import { unmeasurableGates } from '../deployments/gate-fit';
import {
  isFinal, type ClassHealth, type Decision, type DeviceHealth, type DeviceOutcome, type FailureOutcome, type RolloutPlan, type RolloutStateName, type RolloutWhat,
} from './rollout.types';

export interface CreateRollout {
  name: string;
  segmentId: string;
  segmentMode: 'dynamic' | 'frozen';
  what: RolloutWhat;
  plan: RolloutPlan;
  startAt?: Date;
}

export interface RolloutDetail {
  rollout: RolloutRecord;
  devices: DeviceHealth[];
  waves: Array<{ wave: number; devices: number; counts: Partial<Record<DeviceOutcome, number>> }>;
  classes: Record<string, ClassHealth>;
  decisions: RolloutDecisionRecord[];
  deploymentIds: string[];
  failureRate: FailureRate;
}

export interface RolloutTelemetry {
  resolution: Resolution;
  /** Devices the rollout notified: the series count only their windows. */
  devices: number;
  models: Array<{ modelId: string; role: 'new' | 'previous'; devices: number; points: SeriesPoint[] }>;
}

/** Operator actions: from which states each is allowed, and the state it leads to. */
const TRANSITIONS = {
  pause: { from: ['scheduled', 'running', 'awaiting_approval'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  approve: { from: ['awaiting_approval'], to: 'running' },
  cancel: { from: ['scheduled', 'running', 'awaiting_approval', 'paused'], to: 'cancelled' },
  rollback: { from: ['running', 'awaiting_approval', 'paused', 'completed'], to: 'rolling_back' },
} as const satisfies Record<string, { from: readonly RolloutStateName[]; to: RolloutStateName }>;
export type OperatorAction = keyof typeof TRANSITIONS;

/**
 * Rollouts as the API sees them: creating one (validated against the segment and the catalogue), reading it with
 * the health its decisions were taken on, and the operator's actions. The driver (rollout.driver.ts) moves it.
 */
@Injectable()
export class RolloutsService {
  /** Called after an operator action committed (the driver looks at once instead of at its next tick). */
  onChange: () => void = () => {};

  constructor(
    private readonly repo: RolloutRepository,
    private readonly segments: SegmentsService,
    private readonly models: ModelRepository,
    private readonly reports: ReportRepository,
    private readonly deployments: DeploymentsService,
    private readonly audit: AuditRepository,
    private readonly uow: UnitOfWork,
    /** Absent in an application without the telemetry module: the rollout's telemetry is then a 404. */
    @Optional() private readonly telemetryQuery?: TelemetryQuery,
  ) {}

  async create(input: CreateRollout, actor: Actor): Promise<RolloutRecord> {
    const segment = await this.segments.get(input.segmentId).catch((err: unknown) => {
      if (err instanceof NotFoundError) throw new UnprocessableError(`segment ${input.segmentId} does not exist`);
      throw err;
    });
    if ('artifactId' in input.what) {
      const artifact = await this.models.find(input.what.artifactId);
      if (!artifact) throw new UnprocessableError(`model ${input.what.artifactId} does not exist`);
      // A gate no device could measure would reject the model on every device of every wave.
      const unmeasurable = unmeasurableGates(input.plan.gates, artifact);
      if (unmeasurable.length > 0) throw new UnprocessableError(unmeasurable.join('; '));
    }
    if (input.plan.retries?.timedOut && !input.plan.inProgressTimeoutMin) throw new UnprocessableError('retries.timedOut needs inProgressTimeoutMin (nothing times out without it)');
    const preview = await this.segments.preview(segment.selector);
    if (preview.count === 0 && input.segmentMode === 'frozen') throw new UnprocessableError(`segment ${segment.name} matches no device`);
    return this.uow.transaction(async (tx) => {
      const r = await this.repo.create({ ...input, selector: segment.selector, createdBy: actor }, tx);
      await this.audit.record({ actor, action: 'rollout.create', entityType: 'rollout', entityId: r.id, details: { segment: segment.name, devices: preview.count, what: input.what } }, tx);
      return r;
    });
  }

  async list(filter: { state?: RolloutStateName }, page: { limit: number; offset: number }): Promise<Page<RolloutRecord>> {
    return { ...(await this.repo.list(filter, page)), ...page };
  }

  async get(id: string): Promise<RolloutRecord> {
    const r = await this.repo.find(id);
    if (!r) throw new NotFoundError('rollout', id);
    return r;
  }

  async detail(id: string): Promise<RolloutDetail> {
    const rollout = await this.get(id);
    const [devices, decisions] = await Promise.all([this.health(rollout), this.repo.decisions(id)]);
    const waves = new Map<number, { wave: number; devices: number; counts: Partial<Record<DeviceOutcome, number>> }>();
    for (const d of devices) {
      const w = waves.get(d.wave) ?? { wave: d.wave, devices: 0, counts: {} };
      w.devices += 1;
      w.counts[d.outcome] = (w.counts[d.outcome] ?? 0) + 1;
      waves.set(d.wave, w);
    }
    const deploymentIds = await this.deployments.idsForRollout(id);
    return { rollout, devices, waves: [...waves.values()].sort((a, b) => a.wave - b.wave), classes: classHealth(devices), decisions, deploymentIds, failureRate: failureRate(devices) };
  }

  /**
   * Every device of the rollout as the decision sees it: its outcome from its deployment row (timed out after
   * inProgressTimeoutMin), the new model's measurements from its report and the previous model's from the newest
   * report of the same device on it.
   */
  async health(r: RolloutRecord, rows?: RolloutDeviceRecord[], now = new Date()): Promise<DeviceHealth[]> {
    const devices = rows ?? (await this.repo.devices(r.id));
    const outcomes = await this.deployments.rowOutcomes(devices.flatMap((d) => (d.deploymentId ? [d.deploymentId] : [])));
    const byKey = new Map(outcomes.map((o) => [`${o.deploymentId}|${o.deviceId}`, o]));
    const baselines = await this.reports.latestFor(devices.flatMap((d) => (d.previousArtifactId && d.deploymentId ? [{ deviceId: d.deviceId, artifactId: d.previousArtifactId }] : [])));
    const timeoutMs = (r.plan.inProgressTimeoutMin ?? 0) * 60_000;
    // Retries happen while the rollout may still notify; a finished or rolling-back rollout shows failures as they are.
    const mayRetry = !isFinal(r.state) && r.state !== 'rolling_back';
    return devices.map((d): DeviceHealth => {
      const retries = d.retries as Partial<Record<FailureOutcome, number>>;
      const base = {
        deviceId: d.deviceId, profileClass: d.profileClass, wave: d.wave, ...(d.notifiedAt ? { notifiedAt: d.notifiedAt, attempts: d.attempts } : {}),
        ...(Object.keys(retries).length ? { retries } : {}), ...(d.lastFailure ? { lastFailure: d.lastFailure } : {}),
        ...(d.artifactId ? { artifactId: d.artifactId } : {}), ...(d.previousArtifactId ? { previousArtifactId: d.previousArtifactId } : {}),
      };
      if (d.state === 'planned') return { ...base, outcome: 'planned' };
      if (d.state === 'left' || !d.deploymentId) return { ...base, outcome: 'left' };
      const row = byKey.get(`${d.deploymentId}|${d.deviceId}`);
      const startedAt = d.retriedAt ?? d.notifiedAt;
      let outcome: DeviceOutcome;
      switch (row?.state) {
        case 'active': outcome = 'active'; break;
        case 'rejected': outcome = 'rejected'; break;
        case 'failed': outcome = 'failed'; break;
        // Taken over by a newer deployment (another rollout, a direct deployment or this rollout's rollback).
        case 'superseded': outcome = row.report ? (row.report.passed ? 'active' : 'rejected') : 'left'; break;
        case undefined: outcome = 'left'; break; // the device was deleted
        // Waiting for the switch; once switched, the in-progress timeout counts from the switch.
        case 'staged':
          outcome = timeoutMs > 0 && r.switchedAt && now.getTime() - r.switchedAt.getTime() > timeoutMs ? 'timed_out' : 'staged';
          break;
        default: outcome = timeoutMs > 0 && startedAt && now.getTime() - startedAt.getTime() > timeoutMs ? 'timed_out' : 'in_progress';
      }
      let retry: { retryAt: Date; failure: FailureOutcome; lastFailure: string } | undefined;
      if (mayRetry && row && startedAt && (outcome === 'failed' || outcome === 'rejected' || outcome === 'timed_out') && row.state !== 'superseded') {
        const failedAt = outcome === 'timed_out' ? new Date(startedAt.getTime() + timeoutMs) : row.updatedAt;
        const at = retryAt(r.plan.retries, { deviceId: d.deviceId, failure: outcome, retries, attempts: d.attempts, failedAt });
        if (at) retry = { retryAt: at, failure: outcome, lastFailure: row.error ? `${outcome}: ${row.error}` : outcome };
      }
      const rep = row?.report;
      const prev = d.previousArtifactId ? baselines.get(`${d.deviceId}|${d.previousArtifactId}`) : undefined;
      return {
        ...base, outcome: retry ? 'retrying' : outcome, ...retry,
        ...(rep?.latencyP50Ms != null ? { p50Ms: rep.latencyP50Ms } : {}),
        ...(rep?.latencyP95Ms != null ? { p95Ms: rep.latencyP95Ms } : {}),
        ...(rep?.accuracy != null ? { accuracy: rep.accuracy } : {}),
        ...(prev ? { baseline: { p50Ms: prev.latencyP50Ms ?? undefined, p95Ms: prev.latencyP95Ms ?? undefined, accuracy: prev.accuracy ?? undefined } } : {}),
      };
    });
  }

  /**
   * Telemetry of the devices the rollout notified, one series per model: each new model (the class's artifact) and
   * each model those devices ran before — how the new model serves on them against how the old one did.
   */
  async telemetry(id: string, resolution: Resolution, from: Date, to: Date): Promise<RolloutTelemetry> {
    if (!this.telemetryQuery) throw new NotFoundError('rollout telemetry', id);
    const problem = seriesRangeProblem(resolution, from, to);
    if (problem) throw new InvalidInputError(problem);
    const r = await this.get(id);
    const notified = (await this.repo.devices(id)).filter((d) => d.notifiedAt);
    const deviceIds = notified.map((d) => d.deviceId);
    const count = (ids: Array<string | null>, m: string) => ids.filter((x) => x === m).length;
    const newIds = [...new Set(Object.values(r.artifacts).filter(Boolean))].sort();
    const oldIds = [...new Set(notified.flatMap((d) => (d.previousArtifactId ? [d.previousArtifactId] : [])))].filter((m) => !newIds.includes(m)).sort();
    const models = await Promise.all([
      ...newIds.map(async (modelId) => ({ modelId, role: 'new' as const, devices: count(notified.map((d) => d.artifactId), modelId), points: await this.telemetryQuery!.series(resolution, from, to, { modelId, deviceIds }) })),
      ...oldIds.map(async (modelId) => ({ modelId, role: 'previous' as const, devices: count(notified.map((d) => d.previousArtifactId), modelId), points: await this.telemetryQuery!.series(resolution, from, to, { modelId, deviceIds }) })),
    ]);
    return { resolution, devices: deviceIds.length, models };
  }

  /** pause | resume | approve | cancel | rollback, recorded as a decision with the operator as actor. */
  async act(id: string, action: OperatorAction, actor: Actor, note?: string): Promise<RolloutRecord> {
    const rule = TRANSITIONS[action];
    await this.uow.transaction(async (tx) => {
      const r = await this.repo.lock(id, tx);
      if (!r) throw new NotFoundError('rollout', id);
      if (!(rule.from as readonly RolloutStateName[]).includes(r.state)) {
        throw new ConflictError(`cannot ${action} a rollout that is ${r.state} (allowed from: ${rule.from.join(', ')})`);
      }
      const now = new Date();
      const reason = note ? `${action} by ${actor}: ${note}` : `${action} by ${actor}`;
      switch (action) {
        case 'pause':
          await this.repo.update(id, { state: 'paused', reason }, tx);
          break;
        case 'resume':
          // Not started yet (paused while scheduled): back to scheduled, the driver starts it.
          await this.repo.update(id, { state: r.waveStartedAt ? 'running' : 'scheduled', paceFrom: now, reason }, tx);
          break;
        case 'approve':
          await this.repo.update(id, { state: 'running', currentWave: r.currentWave + 1, waveStartedAt: now, paceFrom: now, switchedAt: null, reason }, tx);
          break;
        case 'cancel':
          await this.repo.update(id, { state: 'cancelled', reason, finishedAt: now }, tx);
          break;
        case 'rollback':
          await this.repo.update(id, { state: 'rolling_back', reason, finishedAt: null }, tx);
          break;
      }
      await this.decide(r, { action, reason }, actor, tx);
    });
    this.onChange();
    return this.get(id);
  }

  /** Records a decision (and its audit event) in the caller's transaction. */
  async decide(r: RolloutRecord, d: Decision, actor: Actor, tx: Db): Promise<void> {
    const wave = d.action === 'approve' ? r.currentWave + 1 : r.currentWave;
    await this.repo.recordDecision(r.id, wave, d, actor, tx);
    await this.audit.record({ actor, action: 'rollout.decision', entityType: 'rollout', entityId: r.id, details: { wave, action: d.action, reason: d.reason } }, tx);
  }

  /**
   * Yields the rollout's detail whenever its state, wave, device counts or decisions changed, until it is final
   * (common/sse pollChanges: read from the database, the driver may be another control plane).
   */
  watch(id: string, signal: AbortSignal): AsyncGenerator<RolloutDetail> {
    return pollChanges(
      () => this.detail(id),
      (d) => JSON.stringify([d.rollout.state, d.rollout.currentWave, d.waves, d.decisions.length]),
      (d) => isFinal(d.rollout.state),
      signal,
    );
  }

  /** Exposed for the driver: the repository is the rollout module's own. */
  get repository(): RolloutRepository {
    return this.repo;
  }
}
