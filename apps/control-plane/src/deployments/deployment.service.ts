import { Injectable, Logger } from '@nestjs/common';
import type { DeviceStateMessage, Gates, ProgressMessage, ReportMessage } from '@edgefleet/contracts';
import { AppConfig, UnitOfWork, AuditRepository, FleetEvents } from '@edgefleet/platform';
import {
  ArtifactMismatchError, ConflictError, InvalidInputError, NotFoundError, UnknownDeploymentError, UnknownDeviceError, UnprocessableError,
} from '@edgefleet/platform';
import type { Page, Db, Actor } from '@edgefleet/platform';
import { DeviceRepository } from '../devices/device.repository';
import { ModelRepository } from '@edgefleet/catalog';
import { DeviceMessageRepository } from '../devices/device-message.repository';
import { OtaService } from '../ota/ota.service';
import { ReportRepository } from '../reports/report.repository';
import {
  blocksAfterProgress, DeploymentStatusName, isFinished, rollUpStatus, stateAfterProgress, verdictFromDeviceState,
} from './deployment-state';
import {
  ClassOutcomes, DeliveredArtifact, DeploymentDetail, DeploymentDeviceRow, DeploymentRepository, DeploymentWithArtifact, LockedDeviceRow, RolloutPurpose, RowOutcome,
} from './deployment.repository';
import { blockCount, buildDesiredState } from './desired-state';
import { measurableGates, unmeasurableGates } from './gate-fit';
import { ProgressWriter } from './progress-writer';
import { DeliveredArtifacts, RowMessageBatch, type RowBatchDeps } from './row-message-batch';
import { ReportWriter } from './report-writer';
import { settleLimited } from '../common/settle-limited';

export interface CreateDeployment {
  artifactId: string;
  deviceIds?: string[];
  tags?: string[];
  gates?: Gates;
  /**
   * Leave out the gates devices cannot measure for this model instead of refusing the deployment (422): for a caller
   * that judged them itself (the autopilot chose the variant on the catalogue's accuracy).
   */
  measurableGatesOnly?: boolean;
}

/**
 * Run first inside the deployment's transaction; throwing rolls it back before anything is written. The autopilot
 * passes one that locks its target's and its (target, class) lease's rows, so a target paused or deleted, or a lease
 * taken over, while the reconcile was deciding leaves no deployment behind.
 */
export type DeploymentFence = (tx: Db) => Promise<void>;

/** How long the ids of stored device messages are kept (an agent resends for far less long: see mqtt-protocol.md). */
export const DEVICE_MESSAGE_RETENTION_MS = 7 * 24 * 3600_000;

/** Desired states in flight at once (a sliding window): enough to keep the broker busy, bounded for big fleets. */
const PUBLISH_CONCURRENCY = 32;

/** Unfinished rows asked for their state at start, oldest first (the stall watcher takes any beyond). */
const STARTUP_QUERY_LIMIT = 10_000;

@Injectable()
export class DeploymentsService {
  private readonly log = new Logger('Deployments');
  /** What the row-message paths read with (the deployments' artifacts cached: they never change). */
  private readonly rowDeps: RowBatchDeps;
  private readonly progress: ProgressWriter;
  private readonly reportWriter: ReportWriter;

  constructor(
    private readonly deployments: DeploymentRepository,
    private readonly devices: DeviceRepository,
    private readonly models: ModelRepository,
    private readonly reports: ReportRepository,
    private readonly audit: AuditRepository,
    private readonly ota: OtaService,
    private readonly uow: UnitOfWork,
    private readonly config: AppConfig,
    private readonly events: FleetEvents,
    private readonly messages: DeviceMessageRepository,
  ) {
    this.rowDeps = { deployments, devices, messages, artifacts: new DeliveredArtifacts(deployments) };
    this.progress = new ProgressWriter(uow, this.rowDeps);
    this.reportWriter = new ReportWriter(uow, this.rowDeps, reports, audit, events, (id, tx, status) => this.rollUp(id, tx, status));
  }

  /**
   * Targets the listed devices plus every device with any of the tags, records the deployment and one row per
   * device in one transaction (taking the devices over from older unfinished deployments), then publishes each
   * device's desired state.
   */
  async create(input: CreateDeployment, actor: Actor, fence?: DeploymentFence): Promise<DeploymentDetail> {
    const ids = [...new Set(input.deviceIds ?? [])];
    const tags = [...new Set(input.tags ?? [])];
    if (ids.length === 0 && tags.length === 0) throw new InvalidInputError('give deviceIds and/or tags to say which devices to deploy to');
    let gates = plainGates(input.gates);
    const deployment = await this.uow.transaction(async (tx) => {
      await fence?.(tx);
      const artifact = await this.models.find(input.artifactId, tx);
      if (!artifact) throw new NotFoundError('model', input.artifactId);
      if (input.measurableGatesOnly) gates = plainGates(measurableGates(gates, artifact));
      const unmeasurable = unmeasurableGates(gates, artifact);
      if (unmeasurable.length > 0) throw new UnprocessableError(unmeasurable.join('; '));
      const { found } = await this.devices.resolveTargets(ids, tags, tx);
      const known = new Set(found);
      const unknown = ids.filter((id) => !known.has(id));
      if (unknown.length > 0) throw new UnprocessableError(`unknown device ids: ${unknown.join(', ')}`);
      if (found.length === 0) throw new UnprocessableError(`no device carries any of the tags ${tags.join(', ')}`);
      const created = await this.deployments.create(
        {
          artifactId: artifact.id, gates, target: { ...(ids.length ? { deviceIds: ids } : {}), ...(tags.length ? { tags } : {}) },
          createdBy: actor, deviceIds: found, totalBlocks: blockCount(artifact.sizeBytes, this.config.blockSize),
          previous: await this.devices.activeArtifacts(found, tx),
        },
        tx,
      );
      const overtaken = await this.deployments.supersedeUnfinished(found, created.id, tx);
      for (const id of overtaken) await this.rollUp(id, tx);
      await this.audit.record({
        actor, action: 'deployment.create', entityType: 'deployment', entityId: created.id,
        details: { artifactId: artifact.id, devices: found.length, superseded: overtaken },
      }, tx);
      return { created, deviceIds: found };
    });
    await this.publishAll(deployment.created, deployment.deviceIds);
    return this.get(deployment.created.id);
  }

  /**
   * An operator's cancel of a direct deployment in progress. Devices that have not activated it stop: their rows are
   * superseded. Every device that had a model before — whether it activated this one or was still installing it —
   * gets that model back through a new deployment per previous model (as a rollout's rollback does: a new, higher
   * desired state; no gates, the device ran it). A device that ran no model before has nothing to go back to and
   * keeps what it installs. Rollout deployments are the rollout's to cancel or roll back (409).
   */
  async cancel(id: string, actor: Actor): Promise<{ deployment: DeploymentDetail; reverts: DeploymentDetail[] }> {
    const done = await this.uow.transaction(async (tx) => {
      await this.deployments.lock(id, tx);
      const d = await this.deployments.findWithArtifact(id, tx);
      if (!d) throw new NotFoundError('deployment', id);
      if (d.rolloutId) throw new ConflictError(`deployment ${id} belongs to rollout ${d.rolloutId}: cancel or roll back the rollout`);
      if (d.status !== 'in_progress') throw new ConflictError(`deployment ${id} is ${d.status}; only a deployment in progress can be cancelled`);
      const rows = await this.deployments.rowsWithPrevious(id, tx);
      const touched = rows.filter((r) => r.state === 'active' || !isFinished(r.state));
      const back = new Map<string, string[]>();
      for (const r of touched) {
        if (r.previousArtifactId && r.previousArtifactId !== d.artifactId) back.set(r.previousArtifactId, [...(back.get(r.previousArtifactId) ?? []), r.deviceId]);
      }
      const stopped = rows.filter((r) => !isFinished(r.state)).map((r) => r.deviceId);
      await this.deployments.stopRows(id, stopped, `cancelled by ${actor}`, tx);
      const reverts: Array<{ created: DeploymentWithArtifact; deviceIds: string[] }> = [];
      for (const [artifactId, deviceIds] of back) {
        const artifact = await this.models.find(artifactId, tx);
        if (!artifact) continue; // deleted since: nothing to go back to
        const created = await this.deployments.create({
          artifactId, gates: {}, target: { deviceIds, cancelOf: id }, createdBy: actor, deviceIds,
          totalBlocks: blockCount(artifact.sizeBytes, this.config.blockSize), previous: await this.devices.activeArtifacts(deviceIds, tx),
        }, tx);
        for (const other of await this.deployments.supersedeUnfinished(deviceIds, created.id, tx)) if (other !== id) await this.rollUp(other, tx);
        reverts.push({ created, deviceIds });
      }
      await this.deployments.setStatus(id, 'cancelled', tx);
      await this.audit.record({
        actor, action: 'deployment.cancel', entityType: 'deployment', entityId: id,
        details: { stopped, reverted: Object.fromEntries([...reverts].map((r) => [r.created.artifactId, r.deviceIds])), revertDeploymentIds: reverts.map((r) => r.created.id) },
      }, tx);
      return reverts;
    });
    for (const r of done) await this.publishAll(r.created, r.deviceIds);
    return { deployment: await this.get(id), reverts: await Promise.all(done.map((r) => this.get(r.created.id))) };
  }

  /**
   * For rollouts (rollouts/): the rollout's deployment for one wave (or its rollback) and one artifact, made on
   * first use. A rollout adds devices to it as it notifies them (`enroll`), so one wave of one artifact is one
   * deployment with one row per device — the same rows, reports and roll-up as a direct deployment. A retry is a
   * new deployment per attempt (an agent never redoes a deployment it finished).
   */
  async openForRollout(
    r: { rolloutId: string; wave: number; purpose: RolloutPurpose; attempt?: number; stage?: boolean; artifactId: string; gates: Gates | undefined; createdBy: Actor },
    tx: Db,
  ): Promise<DeploymentWithArtifact> {
    const attempt = r.attempt ?? 1;
    const found = await this.deployments.findForRollout(r.rolloutId, r.wave, r.purpose, r.artifactId, attempt, tx);
    if (found) return found;
    const artifact = await this.models.find(r.artifactId, tx);
    if (!artifact) throw new NotFoundError('model', r.artifactId);
    const created = await this.deployments.create({
      artifactId: artifact.id, gates: plainGates(r.gates), target: { rolloutId: r.rolloutId }, createdBy: r.createdBy, deviceIds: [],
      totalBlocks: blockCount(artifact.sizeBytes, this.config.blockSize), rollout: { rolloutId: r.rolloutId, wave: r.wave, purpose: r.purpose, attempt, stage: r.stage },
    }, tx);
    await this.audit.record({
      actor: r.createdBy, action: 'deployment.create', entityType: 'deployment', entityId: created.id,
      details: { artifactId: artifact.id, rolloutId: r.rolloutId, wave: r.wave, purpose: r.purpose, ...(attempt > 1 ? { attempt } : {}) },
    }, tx);
    return created;
  }

  /** Adds devices to a rollout's deployment, taking them over from their other unfinished deployments (as `create` does). */
  async enroll(deployment: DeploymentWithArtifact, deviceIds: readonly string[], tx: Db): Promise<void> {
    if (deviceIds.length === 0) return;
    const overtaken = await this.deployments.supersedeUnfinished([...deviceIds], deployment.id, tx);
    const previous = await this.devices.activeArtifacts(deviceIds, tx);
    await this.deployments.addDevices(deployment.id, deviceIds, blockCount(deployment.artifact.sizeBytes, this.config.blockSize), tx, previous);
    for (const id of [...overtaken, deployment.id]) await this.rollUp(id, tx);
  }

  /** Every deployment a rollout made (waves, retries, rollbacks). */
  idsForRollout(rolloutId: string): Promise<string[]> {
    return this.deployments.idsForRollout(rolloutId);
  }

  /** Stage mode's switch, in the caller's transaction: the deployments' next desired states activate the staged model. */
  endStage(deploymentIds: readonly string[], tx: Db): Promise<void> {
    return this.deployments.endStage(deploymentIds, tx);
  }

  /** Publishes the deployment's desired state to these devices (after the commit that enrolled them); returns those it reached. */
  async publishTo(deploymentId: string, deviceIds: readonly string[]): Promise<string[]> {
    const deployment = await this.deployments.findWithArtifact(deploymentId);
    if (!deployment) throw new NotFoundError('deployment', deploymentId);
    const desired = buildDesiredState(deployment, deployment.artifact, this.config.blockSize);
    const reached: string[] = [];
    const results = await settleLimited(deviceIds, PUBLISH_CONCURRENCY, (id) => this.ota.publishDesired(id, desired));
    results.forEach((r, j) => {
      if (r.status === 'fulfilled') reached.push(deviceIds[j]!);
      else this.log.warn(`deployment ${deploymentId}: desired state not published to ${deviceIds[j]}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
    });
    return reached;
  }

  /** Every row of these deployments with its report's measurements (what a rollout judges its waves on). */
  rowOutcomes(deploymentIds: readonly string[]): Promise<RowOutcome[]> {
    return this.deployments.rowOutcomes(deploymentIds);
  }

  async get(id: string): Promise<DeploymentDetail> {
    const d = await this.deployments.find(id);
    if (!d) throw new NotFoundError('deployment', id);
    return d;
  }

  async list(filter: { status?: DeploymentStatusName }, page: { limit: number; offset: number }) {
    const { items, total } = await this.deployments.list(filter, page);
    return { items, total, ...page } satisfies Page<unknown>;
  }

  /** Status of each deployment (one query). */
  statuses(ids: readonly string[]): Promise<Map<string, DeploymentStatusName>> {
    return this.deployments.statuses(ids);
  }

  /** Per device, the artifacts of its deployments that have not finished (one query). */
  unfinishedArtifacts(deviceIds: readonly string[]): Promise<Map<string, string[]>> {
    return this.deployments.unfinishedArtifacts(deviceIds);
  }

  /** What devices of a class made of the deployments `createdBy` made: artifacts activated, and each refusal with its failed gates. */
  classOutcomes(createdBy: string, profileClass: string): Promise<ClassOutcomes> {
    return this.deployments.classOutcomes(createdBy, profileClass);
  }

  /** Re-sends the desired state of the device's newest unfinished deployment (after a hello). */
  async republishDesired(deviceId: string): Promise<void> {
    const deployment = await this.deployments.newestUnfinishedFor(deviceId);
    if (deployment) await this.ota.publishDesired(deviceId, buildDesiredState(deployment, deployment.artifact, this.config.blockSize));
  }

  /**
   * Re-signs and republishes every open desired state (each with a new seq and validity window), so a device that
   * is still working on one never holds an expired one. Called every third of the validity period.
   */
  async refreshOpenDesiredStates(): Promise<{ refreshed: number; failed: number }> {
    const ids = await this.deployments.devicesWithOpenDesiredState();
    const failed = (await settleLimited(ids, PUBLISH_CONCURRENCY, (id) => this.republishDesired(id))).filter((r) => r.status === 'rejected').length;
    if (failed > 0) this.log.warn(`desired state refresh: ${failed} of ${ids.length} device(s) not republished; they get a fresh one on their next hello`);
    return { refreshed: ids.length - failed, failed };
  }

  /**
   * Forgets stored message ids older than DEVICE_MESSAGE_RETENTION_MS. A resend older than that is taken as new: a
   * progress cannot move a row backwards, and a second report of a row is ignored, so nothing happens twice.
   */
  forgetOldMessageIds(): Promise<number> {
    return this.messages.pruneBefore(new Date(Date.now() - DEVICE_MESSAGE_RETENTION_MS));
  }

  /**
   * A device's download/verify/benchmark progress. Never moves a row backwards or out of a finished state: the row
   * is read under its lock (FOR UPDATE), so a report committing meanwhile is seen, whatever order they arrive in.
   * A message whose msgId is stored already (a resend) changes nothing. Resolves after the commit. Progress that
   * does not fail the row is written in batches (ProgressWriter); a failure rolls the deployment up, alone.
   */
  async recordProgress(deviceId: string, msg: ProgressMessage): Promise<void> {
    if (msg.state !== 'failed') return this.progress.record(deviceId, msg);
    await this.uow.transaction(async (tx) => {
      // The message id first: a concurrent resend waits here, before taking any other lock.
      if (msg.msgId !== undefined && !(await this.messages.claim(deviceId, msg.msgId, 'progress', tx))) return;
      // Lock order as in recordReport (deployment, then device row): this update rolls up.
      const status = await this.deployments.lock(msg.deploymentId, tx);
      const { row, artifact: a } = await this.lockedRow(deviceId, msg.deploymentId, tx);
      if (msg.sha256 !== a.sha256 && msg.sha256 !== a.evalSetSha256) throw new ArtifactMismatchError(msg.deploymentId, a.sha256, msg.sha256);
      if (isFinished(row.state)) return; // late or redelivered progress after the report
      const state = stateAfterProgress(row.state, msg.state);
      await this.deployments.updateDeviceRow(row.id, {
        state,
        ...blocksAfterProgress(row, state, msg, a.sha256),
        ...(state === 'failed' ? { error: msg.error ?? 'failed (no reason given)' } : {}),
      }, tx);
      if (state === 'failed') await this.rollUp(row.deploymentId, tx, status);
    });
  }

  /**
   * A device's benchmark report: stored, linked to its deployment row, the row's state set from the outcome,
   * the device's active model updated when it activated this one, and the deployment's status rolled up —
   * all in one transaction. A resend (same msgId) or a second report for the row is ignored. Written in batches
   * with the reports that arrive meanwhile (ReportWriter); resolves after the commit.
   */
  async recordReport(deviceId: string, msg: ReportMessage): Promise<void> {
    return this.reportWriter.record(deviceId, msg);
  }

  /**
   * A device's answer to a state query: its stalled row is reconciled from what it has (verdictFromDeviceState) —
   * finished from its outcome, kept alive while it works, or its desired state sent again.
   */
  async recordDeviceState(deviceId: string, msg: DeviceStateMessage): Promise<void> {
    const resend = await this.uow.transaction(async (tx) => {
      const status = await this.deployments.lock(msg.deploymentId, tx);
      const { row, artifact } = await this.lockedRow(deviceId, msg.deploymentId, tx);
      const verdict = verdictFromDeviceState(row, artifact.sha256, msg);
      if (!verdict) return false;
      if (verdict.kind === 'resend-desired') return true;
      if (verdict.kind === 'alive') {
        // Touches updatedAt: the device answered and is working, the stall clock starts again.
        await this.deployments.updateDeviceRow(row.id, { receivedBlocks: verdict.receivedBlocks ?? row.receivedBlocks }, tx);
        return false;
      }
      await this.deployments.updateDeviceRow(row.id, { state: verdict.state, error: verdict.error }, tx);
      if (verdict.state === 'active') await this.devices.update(deviceId, { activeArtifactId: artifact.id }, tx);
      await this.audit.record({
        actor: `device:${deviceId}`, action: 'deployment.reconcile', entityType: 'deployment', entityId: row.deploymentId,
        details: { state: verdict.state, from: 'state query' },
      }, tx);
      await this.rollUp(row.deploymentId, tx, status);
      return false;
    });
    if (resend) await this.republishDesired(deviceId);
  }

  /**
   * One pass of the stall watcher: every unfinished row unchanged for longer than its state's timeout gets a state
   * query (and its desired state again); one unchanged for longer than the give-up time fails with reason "no
   * progress". Returns what it did.
   */
  async checkStalled(now = Date.now()): Promise<{ queried: number; failed: number }> {
    const t = this.config.stallTimeoutsMs;
    const cutoff = (ms: number) => new Date(now - ms);
    const rows = await this.deployments.stalledRows({
      pending: cutoff(t.pending), downloading: cutoff(t.downloading), verifying: cutoff(t.verifying), benchmarking: cutoff(t.benchmarking),
    }, 1000);
    let queried = 0;
    let failed = 0;
    for (const r of rows) {
      if (r.updatedAt.getTime() < now - this.config.stallGiveUpMs) {
        if (await this.giveUp(r.deviceId, r.deploymentId, now)) failed++;
        continue;
      }
      try {
        await this.ota.queryState(r.deviceId, r.deploymentId);
        await this.republishDesired(r.deviceId);
        queried++;
      } catch (err) {
        this.log.warn(`state query to ${r.deviceId} not sent: ${(err as Error).message}`);
      }
    }
    if (queried + failed > 0) this.log.log(`stalled rows: ${queried} device(s) asked for their state, ${failed} given up`);
    return { queried, failed };
  }

  /**
   * At start: every device with an unfinished (watched) row is asked for its state at once, instead of after its
   * state's stall timeout. Whatever happened while no control plane listened — a report sent into the void, a
   * transfer that stalled on block requests nobody answered — is then reconciled from the answers (recordDeviceState)
   * and the outbox resend they trigger. Called after the inbound subscription is up, so the answers are heard; the
   * stall watcher covers rows beyond `limit` and devices that are offline now.
   */
  async queryUnfinishedAtStart(limit = STARTUP_QUERY_LIMIT): Promise<{ queried: number; failed: number }> {
    const now = new Date();
    const rows = await this.deployments.stalledRows({ pending: now, downloading: now, verifying: now, benchmarking: now }, limit);
    const failed = (await settleLimited(rows, PUBLISH_CONCURRENCY, (r) => this.ota.queryState(r.deviceId, r.deploymentId))).filter((r) => r.status === 'rejected').length;
    if (rows.length > 0) this.log.log(`start: ${rows.length - failed} device(s) with unfinished rows asked for their state${failed > 0 ? ` (${failed} not sent)` : ''}`);
    return { queried: rows.length - failed, failed };
  }

  private async giveUp(deviceId: string, deploymentId: string, now: number): Promise<boolean> {
    return this.uow.transaction(async (tx) => {
      const status = await this.deployments.lock(deploymentId, tx);
      await this.deployments.lockDeviceRows([{ deploymentId, deviceId }], tx);
      const row = await this.deployments.findDeviceRow(deploymentId, deviceId, tx);
      if (!row || isFinished(row.state) || row.updatedAt.getTime() >= now - this.config.stallGiveUpMs) return false;
      const hours = (this.config.stallGiveUpMs / 3600_000).toFixed(1);
      await this.deployments.updateDeviceRow(row.id, { state: 'failed', error: `no progress from the device for ${hours} h (offline, or not answering state queries) while ${row.state}` }, tx);
      await this.audit.record({ actor: 'system', action: 'deployment.give-up', entityType: 'deployment', entityId: deploymentId, details: { deviceId, state: row.state } }, tx);
      await this.rollUp(deploymentId, tx, status);
      return true;
    });
  }

  /** The device's row of the deployment, locked, with what the deployment delivers (a typed error when there is none). */
  private async lockedRow(deviceId: string, deploymentId: string, tx: Db): Promise<{ row: LockedDeviceRow; artifact: DeliveredArtifact }> {
    const batch = await RowMessageBatch.open([{ deviceId, msg: { deploymentId } }], 'single', { lockDeployments: false }, this.rowDeps, tx);
    const target = await batch.target(0, () => undefined);
    if (target instanceof Error) throw target;
    return target;
  }

  /** `lockedStatus`: the caller holds the deployment's lock (DeploymentRepository.lock) and read this status with it. */
  private async rollUp(deploymentId: string, tx: Db, lockedStatus?: DeploymentStatusName): Promise<void> {
    const { status, states } = await this.deployments.lockForRollUp(deploymentId, tx, lockedStatus);
    const next = rollUpStatus(status, states);
    if (next !== status) {
      await this.deployments.setStatus(deploymentId, next, tx);
      this.log.log(`deployment ${deploymentId}: ${status} → ${next}`);
    }
  }

  /**
   * Publishing happens after the commit: a device must never receive a deployment id the database does not
   * know. A failed publish is logged, not fatal — the rows are pending and the device gets its desired state
   * again from republishDesired when it next says hello.
   */
  private async publishAll(deployment: DeploymentWithArtifact, deviceIds: string[]): Promise<void> {
    const desired = buildDesiredState(deployment, deployment.artifact, this.config.blockSize);
    const failures: string[] = [];
    const results = await settleLimited(deviceIds, PUBLISH_CONCURRENCY, (id) => this.ota.publishDesired(id, desired));
    results.forEach((r, j) => {
      if (r.status === 'rejected') failures.push(`${deviceIds[j]}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
    });
    if (failures.length > 0) {
      this.log.warn(`deployment ${deployment.id}: desired state not published to ${failures.length} device(s), they get it on their next hello: ${failures.slice(0, 5).join('; ')}`);
    }
  }
}

/** Only the gates that were given, as plain numbers (the DTO instance must not leak into the JSON column). */
function plainGates(g: Gates | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (g?.maxLatencyP95Ms !== undefined) out.maxLatencyP95Ms = g.maxLatencyP95Ms;
  if (g?.minAccuracy !== undefined) out.minAccuracy = g.minAccuracy;
  if (g?.maxMemoryMb !== undefined) out.maxMemoryMb = g.maxMemoryMb;
  return out;
}
