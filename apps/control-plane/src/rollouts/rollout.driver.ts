import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import type { Actor } from '@edgefleet/platform';
import { LeaseLostError, UnitOfWork } from '@edgefleet/platform';
import { DeploymentsService } from '../deployments/deployment.service';
import { DeviceRepository } from '../devices/device.repository';
import { FleetMetrics } from '../metrics/fleet-metrics';
import { SelectionService } from '../selection/selection.service';
import { allowance, assignWaves, currentRate, decide, inWindow, retryAllowance } from './rollout-decision';
import { RolloutConfig } from './rollout.config';
import { RolloutRecord, RolloutRepository, type RolloutDeviceRecord } from './rollout.repository';
import { RolloutsService } from './rollout.service';
import type { Decision, DeviceHealth, FailureOutcome } from './rollout.types';

const SYSTEM: Actor = 'system';
/**
 * After a step that decided to wait, the timer steps the rollout again no sooner than this many times as long as the
 * step took: a step reads every device of the rollout (rows, outcomes, reports), and at 1,000 devices on a busy
 * machine that took 0.56 s per 500 ms tick — on PGlite's one connection, in front of the devices' own messages.
 * Spaced, a waiting driver holds the database at most a quarter of the time, and the next decision comes at most three
 * steps' time later. Other decisions (notify, retry, advance …) step again at the next tick; an operator action
 * (kick) steps at once.
 */
const STEP_SPACING = 3;

/**
 * Moves rollouts through their state machine (docs/rollouts.md). Every tick it takes or renews, in one statement,
 * the lease of each rollout that needs driving and is free, expired or already its own — so with several control
 * planes on one database exactly one drives a rollout, and another takes over within ROLLOUT_LEASE_MS when that one
 * dies. Each write re-checks the lease under the rollout's row lock (RolloutRepository.fence).
 *
 * Nothing is sent twice across a restart: a device is marked notified (notifiedAt) in the transaction that adds it
 * to its wave's deployment, and the desired state is published after that commit, then publishedAt is set. A
 * driver that finds notified rows without publishedAt (its predecessor died between the two) publishes those and
 * only those; a device is never picked for notification again once notifiedAt is set.
 */
@Injectable()
export class RolloutDriver implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('Rollouts');
  /** Lease owner name of this control plane. */
  readonly owner = `cp-${randomUUID().slice(0, 8)}`;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  /** The next run steps every rollout held, whatever their spacing (an operator action asked for it). */
  private force = false;
  private stopped = false;
  /** Per rollout: the earliest time the timer steps it again (STEP_SPACING). */
  private readonly nextStepAt = new Map<string, number>();

  constructor(
    private readonly rollouts: RolloutsService,
    private readonly repo: RolloutRepository,
    private readonly deployments: DeploymentsService,
    private readonly devices: DeviceRepository,
    private readonly selection: SelectionService,
    private readonly uow: UnitOfWork,
    private readonly config: RolloutConfig,
    @Optional() private readonly metrics?: FleetMetrics,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.enabled) return;
    this.rollouts.onChange = () => this.kick();
    this.timer = setInterval(() => this.kick(true), this.config.tickMs);
    this.timer.unref();
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    if (this.config.enabled) await this.repo.releaseAll(this.owner).catch(() => undefined);
  }

  /** Runs a tick now (or right after the one running); `paced`: the timer's, which skips rollouts stepped too recently. */
  kick(paced = false): void {
    if (this.stopped) return;
    if (!paced) this.force = true;
    if (this.running) {
      this.again = true;
      return;
    }
    const forced = this.force;
    this.force = false;
    this.running = this.tick(!forced).finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** One pass over the rollouts this control plane holds (tests call it to step deterministically); `paced`: see STEP_SPACING. */
  async tick(paced = false): Promise<void> {
    let ids: string[];
    try {
      ids = await this.repo.acquireDriven(this.owner, this.config.leaseMs);
    } catch (err) {
      this.log.warn(`lease pass failed: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    for (const id of [...this.nextStepAt.keys()]) if (!ids.includes(id)) this.nextStepAt.delete(id);
    for (const id of ids) {
      if (this.stopped) return;
      if (paced && Date.now() < (this.nextStepAt.get(id) ?? 0)) continue;
      this.nextStepAt.delete(id);
      try {
        await this.step(id);
      } catch (err) {
        if (err instanceof LeaseLostError) this.log.warn(err.message);
        // Logged and left for the next tick: one rollout's trouble must not stop the others.
        else this.log.warn(`rollout ${id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private async step(id: string): Promise<void> {
    const r = await this.repo.find(id);
    if (!r) return;
    const stop = this.metrics?.rolloutStep.startTimer({ state: r.state });
    try {
      await this.stepFrom(r);
    } finally {
      stop?.();
    }
  }

  private async stepFrom(r: RolloutRecord): Promise<void> {
    switch (r.state) {
      case 'scheduled':
        if (!r.startAt || r.startAt.getTime() <= Date.now()) await this.start(r);
        return;
      case 'running':
        return this.run(r);
      case 'rolling_back':
        return this.rollBack(r);
      default:
        return;
    }
  }

  /** profileClass → artifact for the classes not decided yet (selection's variant per class, or the one artifact). */
  private async artifactsFor(r: RolloutRecord, classes: readonly string[]): Promise<{ artifacts: Record<string, string>; notes: string[] }> {
    const artifacts = { ...r.artifacts };
    const notes: string[] = [];
    for (const cls of classes) {
      if (artifacts[cls] !== undefined) continue;
      if ('artifactId' in r.what) {
        artifacts[cls] = r.what.artifactId;
        continue;
      }
      const rec = await this.selection.recommend(cls, { family: r.what.family, ...(r.what.budget ?? {}) });
      if (rec.decision === 'use-existing' && rec.chosen) {
        artifacts[cls] = rec.chosen.variantId;
        notes.push(`class ${cls}: ${rec.chosen.name} ${rec.chosen.version ?? ''} ${rec.chosen.precision} (selection: ${rec.reasons[0] ?? 'fits'})`);
      } else {
        artifacts[cls] = '';
        notes.push(`class ${cls}: left out, no variant of ${r.what.family} fits (${rec.reasons[0] ?? rec.decision})`);
      }
    }
    return { artifacts, notes };
  }

  /** scheduled → running: the segment's devices, each class's artifact, every device's wave (the canary covers every class). */
  private async start(r: RolloutRecord): Promise<void> {
    const matching = await this.devices.matching(r.selector);
    const classes = [...new Set(matching.map((d) => d.profileClass))].sort();
    const { artifacts, notes } = await this.artifactsFor(r, classes);
    const waves = assignWaves(matching, r.plan.waves);
    const now = new Date();
    await this.uow.transaction(async (tx) => {
      const locked = await this.repo.fence(r.id, this.owner, tx);
      if (locked.state !== 'scheduled') return;
      await this.repo.addDevices(r.id, matching.map((d) => ({ deviceId: d.id, profileClass: d.profileClass, wave: waves.get(d.id)!, artifactId: artifacts[d.profileClass] || null })), tx);
      await this.repo.update(r.id, { state: 'running', currentWave: 0, waveStartedAt: now, paceFrom: now, artifacts }, tx);
      const sizes = r.plan.waves.map((_, w) => [...waves.values()].filter((x) => x === w).length);
      await this.rollouts.decide(r, {
        action: 'start',
        reason: `${matching.length} device(s) in ${classes.length} class(es); waves of ${sizes.join(' / ')} device(s), the canary covering every class`,
        metrics: { devices: matching.length, classes, waveSizes: sizes, artifacts, notes },
      }, SYSTEM, tx);
    });
    this.log.log(`rollout ${r.id} started on ${matching.length} device(s)`);
  }

  private async run(r: RolloutRecord): Promise<void> {
    const started = Date.now();
    let rows = await this.repo.devices(r.id);
    await this.publishPending(r, rows);
    if (r.segmentMode === 'dynamic' && (await this.join(r, rows))) rows = await this.repo.devices(r.id);
    const now = new Date();
    const devices = await this.rollouts.health(r, rows, now);
    const notifiedTotal = rows.filter((d) => d.notifiedAt).length;
    // A wave with a start time paces from it, not from when the previous wave ended (no burst of saved-up allowance).
    const waveStart = r.plan.waves[r.currentWave]?.startAt;
    const paceFrom = new Date(Math.max((r.paceFrom ?? r.waveStartedAt ?? now).getTime(), waveStart ? Date.parse(waveStart) : 0));
    if (r.switchedAt) await this.switchedStaged(r, devices, rows);
    // Notifications and retries since paceFrom share the rate (a retry is a desired state sent again).
    const due = devices.filter((d) => d.wave === r.currentWave && d.outcome === 'retrying' && d.retryAt && d.retryAt <= now);
    const retriedSince = due.length > 0 || r.plan.rate ? await this.repo.retriedSince(r.id, paceFrom) : 0;
    const shared = allowance(r.plan.rate, { paceFrom, notifiedSince: rows.filter((d) => d.notifiedAt && d.notifiedAt >= paceFrom).length + retriedSince, notifiedTotal, now });
    const decision = decide({
      plan: r.plan, wave: r.currentWave, devices, now, switched: r.switchedAt !== null, inWindow: inWindow(r.plan.window, now),
      allowance: shared, retryAllowance: retryAllowance(r.plan, shared, { paceFrom, retriedSince, now }),
    });
    switch (decision.action) {
      case 'notify': return this.notify(r, decision.count!, notifiedTotal);
      // The longest-waiting first, as many as the rate lets through.
      case 'retry': return this.retry(r, [...due].sort((a, b) => a.retryAt!.getTime() - b.retryAt!.getTime() || (a.deviceId < b.deviceId ? -1 : 1)).slice(0, decision.count));
      case 'wait':
        // Only a wait is spaced: it is all reads, and the next step can only take the same decision or react to them.
        this.nextStepAt.set(r.id, Date.now() + STEP_SPACING * (Date.now() - started));
        return;
      case 'stage-switch': return this.switchStaged(r, decision, devices, rows);
      case 'advance':
        return this.transition(r, decision, { currentWave: r.currentWave + 1, waveStartedAt: now, paceFrom: now, switchedAt: null });
      case 'await-approval': return this.transition(r, decision, { state: 'awaiting_approval' });
      case 'complete': return this.transition(r, decision, { state: 'completed', finishedAt: now });
      case 'pause': return this.transition(r, decision, { state: 'paused', reason: decision.reason });
      case 'rollback': return this.transition(r, decision, { state: 'rolling_back', reason: decision.reason });
      default: return;
    }
  }

  /** Applies a decision to a rollout still running the same wave (an operator may have acted meanwhile). */
  private async transition(r: RolloutRecord, d: Decision, changes: Parameters<RolloutRepository['update']>[1]): Promise<void> {
    await this.uow.transaction(async (tx) => {
      const now = await this.repo.fence(r.id, this.owner, tx);
      if (now.state !== r.state || now.currentWave !== r.currentWave) return;
      await this.repo.update(r.id, changes, tx);
      await this.rollouts.decide(r, d, SYSTEM, tx);
    });
    this.log.log(`rollout ${r.id} wave ${r.currentWave}: ${d.action} — ${d.reason}`);
  }

  /** Dynamic segments: devices that match now and are new to the rollout join the current wave. */
  private async join(r: RolloutRecord, rows: readonly RolloutDeviceRecord[]): Promise<boolean> {
    const known = new Set(rows.map((d) => d.deviceId));
    const fresh = (await this.devices.matching(r.selector)).filter((d) => !known.has(d.id));
    if (fresh.length === 0) return false;
    const { artifacts, notes } = await this.artifactsFor(r, [...new Set(fresh.map((d) => d.profileClass))]);
    await this.uow.transaction(async (tx) => {
      const now = await this.repo.fence(r.id, this.owner, tx);
      if (now.state !== 'running' || now.currentWave !== r.currentWave) return;
      const added = await this.repo.addDevices(r.id, fresh.map((d) => ({ deviceId: d.id, profileClass: d.profileClass, wave: r.currentWave, artifactId: artifacts[d.profileClass] || null })), tx);
      await this.repo.update(r.id, { artifacts }, tx);
      await this.rollouts.decide(r, {
        action: 'join', reason: `${added} device(s) joined the segment; they get the model in the current wave ${r.currentWave}`,
        metrics: { devices: fresh.map((d) => d.id).slice(0, 50), notes },
      }, SYSTEM, tx);
    });
    return true;
  }

  /**
   * Notifies the next `count` planned devices of the wave: in one transaction each is added to its wave's deployment
   * for its class's artifact (taking it over from older unfinished ones) and marked notified with the model it runs
   * now; after the commit their desired states are published.
   */
  private async notify(r: RolloutRecord, count: number, notifiedBefore: number): Promise<void> {
    const at = new Date();
    const staging = (now: RolloutRecord) => !!r.plan.stage && !now.switchedAt;
    const picked = await this.uow.transaction(async (tx) => {
      const now = await this.repo.fence(r.id, this.owner, tx);
      if (now.state !== 'running' || now.currentWave !== r.currentWave) return [];
      const rows = await this.repo.nextPlanned(r.id, r.currentWave, count, tx);
      const running = await this.devices.activeArtifacts(rows.map((d) => d.deviceId), tx);
      const byArtifact = new Map<string, RolloutDeviceRecord[]>();
      for (const d of rows) byArtifact.set(d.artifactId!, [...(byArtifact.get(d.artifactId!) ?? []), d]);
      const out: Array<{ deploymentId: string; deviceIds: string[] }> = [];
      for (const [artifactId, ds] of byArtifact) {
        const dep = await this.deployments.openForRollout({ rolloutId: r.id, wave: r.currentWave, purpose: 'wave', stage: staging(now), artifactId, gates: r.plan.gates, createdBy: r.createdBy ?? SYSTEM }, tx);
        const ids = ds.filter((d) => running.has(d.deviceId)).map((d) => d.deviceId);
        await this.deployments.enroll(dep, ids, tx);
        await this.repo.markNotified(r.id, ids.map((deviceId) => ({ deviceId, deploymentId: dep.id, previousArtifactId: running.get(deviceId) ?? null })), at, tx);
        // Deleted since they were planned: they leave the rollout.
        await this.repo.setDeviceState(r.id, ds.filter((d) => !running.has(d.deviceId)).map((d) => d.deviceId), 'left', tx);
        out.push({ deploymentId: dep.id, deviceIds: ids });
      }
      if (r.plan.rate && currentRate(r.plan.rate, notifiedBefore) !== currentRate(r.plan.rate, notifiedBefore + rows.length)) {
        await this.repo.update(r.id, { paceFrom: at }, tx); // a ramp step: pacing restarts at the new rate
      }
      return out;
    });
    for (const p of picked) await this.publish(r, p.deploymentId, p.deviceIds, 'publishedAt');
  }

  /**
   * Notifies again the devices whose install failed while the plan allows a retry for that failure type: each gets a
   * new deployment (one per wave, artifact and attempt: an agent never redoes a deployment it finished), taking it
   * over from the failed or timed-out one, in one transaction with the row's new attempt and the decision that
   * names every device and its failure; the desired states are published after the commit (the same outbox as notify).
   */
  private async retry(r: RolloutRecord, due: readonly DeviceHealth[]): Promise<void> {
    const at = new Date();
    const staging = (now: RolloutRecord) => !!r.plan.stage && !now.switchedAt;
    const picked = await this.uow.transaction(async (tx) => {
      const now = await this.repo.fence(r.id, this.owner, tx);
      if (now.state !== 'running' || now.currentWave !== r.currentWave) return [];
      const rows = new Map((await this.repo.devices(r.id, tx)).map((d) => [d.deviceId, d]));
      const groups = new Map<string, Array<{ row: RolloutDeviceRecord; failure: FailureOutcome; lastFailure: string }>>();
      for (const d of due) {
        const row = rows.get(d.deviceId);
        if (!row || row.state !== 'notified' || !row.artifactId || !d.failure || row.deploymentId === null) continue;
        const key = `${row.artifactId}|${row.attempts + 1}`;
        groups.set(key, [...(groups.get(key) ?? []), { row, failure: d.failure, lastFailure: d.lastFailure ?? d.failure }]);
      }
      const out: Array<{ deploymentId: string; deviceIds: string[] }> = [];
      for (const ds of groups.values()) {
        const { artifactId, attempts } = ds[0]!.row;
        const dep = await this.deployments.openForRollout({
          rolloutId: r.id, wave: r.currentWave, purpose: 'retry', attempt: attempts + 1, stage: staging(now), artifactId: artifactId!, gates: r.plan.gates, createdBy: r.createdBy ?? SYSTEM,
        }, tx);
        const ids = ds.map((d) => d.row.deviceId);
        await this.deployments.enroll(dep, ids, tx);
        await this.repo.markRetried(r.id, ds.map((d) => ({ deviceId: d.row.deviceId, deploymentId: dep.id, failure: d.failure, lastFailure: d.lastFailure })), at, tx);
        out.push({ deploymentId: dep.id, deviceIds: ids });
      }
      const retried = [...groups.values()].flat();
      if (retried.length === 0) return out;
      const by = (f: FailureOutcome) => retried.filter((d) => d.failure === f).length;
      await this.rollouts.decide(r, {
        action: 'retry',
        reason: `wave ${r.currentWave}: ${retried.length} device(s) retried (${by('failed')} failed, ${by('rejected')} rejected, ${by('timed_out')} timed out)`,
        // count: what the rate counts (RolloutRepository.retriedSince); devices: the first 50, for the reader.
        metrics: { count: retried.length, devices: retried.slice(0, 50).map((d) => ({ deviceId: d.row.deviceId, attempt: d.row.attempts + 1, failure: d.lastFailure })) },
      }, SYSTEM, tx);
      return out;
    });
    for (const p of picked) await this.publish(r, p.deploymentId, p.deviceIds, 'publishedAt');
  }

  /** Notified rows whose desired state was never acknowledged by the broker (the previous driver died in between). */
  private async publishPending(r: RolloutRecord, rows: readonly RolloutDeviceRecord[]): Promise<void> {
    const pending = new Map<string, string[]>();
    for (const d of rows) if (d.state === 'notified' && d.notifiedAt && !d.publishedAt && d.deploymentId) pending.set(d.deploymentId, [...(pending.get(d.deploymentId) ?? []), d.deviceId]);
    for (const [deploymentId, ids] of pending) await this.publish(r, deploymentId, ids, 'publishedAt');
  }

  private async publish(r: RolloutRecord, deploymentId: string, deviceIds: string[], field: 'publishedAt' | 'stagedPublishedAt' | 'rollbackPublishedAt'): Promise<void> {
    if (deviceIds.length === 0) return;
    const reached = await this.deployments.publishTo(deploymentId, deviceIds);
    await this.repo.markPublished(r.id, reached, field, new Date());
  }

  /**
   * Stage mode: every device of the wave that is still in it has staged the model (fetched, verified, benchmarked,
   * gates passed). In one transaction the switch is recorded and the wave's deployments stop carrying `stage`; then
   * every staged device gets the same deployment's desired state without it and activates at once. A driver that
   * dies between the commit and the publications publishes the rest (switchedStaged).
   */
  private async switchStaged(r: RolloutRecord, decision: Decision, devices: readonly DeviceHealth[], rows: readonly RolloutDeviceRecord[]): Promise<void> {
    const at = new Date();
    const deploymentIds = [...new Set(rows.flatMap((d) => (d.wave === r.currentWave && d.deploymentId ? [d.deploymentId] : [])))];
    const staged = devices.filter((d) => d.wave === r.currentWave && d.outcome === 'staged').length;
    const switched = await this.uow.transaction(async (tx) => {
      const now = await this.repo.fence(r.id, this.owner, tx);
      if (now.state !== 'running' || now.currentWave !== r.currentWave || now.switchedAt) return false;
      await this.repo.update(r.id, { switchedAt: at }, tx);
      await this.deployments.endStage(deploymentIds, tx);
      await this.rollouts.decide(r, { ...decision, metrics: { staged, deployments: deploymentIds.length } }, SYSTEM, tx);
      return true;
    });
    if (!switched) return;
    this.log.log(`rollout ${r.id} wave ${r.currentWave}: stage-switch — ${decision.reason}`);
    await this.switchedStaged(r, devices, rows);
  }

  /** After the switch: the staged devices of the wave not yet told so get the desired state without `stage`. */
  private async switchedStaged(r: RolloutRecord, devices: readonly DeviceHealth[], rows: readonly RolloutDeviceRecord[]): Promise<void> {
    const staged = new Set(devices.filter((d) => d.wave === r.currentWave && d.outcome === 'staged').map((d) => d.deviceId));
    const byDeployment = new Map<string, string[]>();
    for (const d of rows) {
      if (staged.has(d.deviceId) && !d.stagedPublishedAt && d.deploymentId) byDeployment.set(d.deploymentId, [...(byDeployment.get(d.deploymentId) ?? []), d.deviceId]);
    }
    for (const [deploymentId, ids] of byDeployment) await this.publish(r, deploymentId, ids, 'stagedPublishedAt');
  }

  /**
   * rolling_back: every device the rollout notified gets a new desired state (a new, higher seq) for the model it
   * ran before, through a rollback deployment per previous model; a device that ran none keeps what it has. When
   * every rollback row has finished, the rollout is rolled_back.
   */
  private async rollBack(r: RolloutRecord): Promise<void> {
    const rows = await this.repo.devices(r.id);
    const todo = rows.filter((d) => d.state === 'notified');
    const picked = todo.length === 0 ? [] : await this.uow.transaction(async (tx) => {
      const now = await this.repo.fence(r.id, this.owner, tx);
      if (now.state !== 'rolling_back') return [];
      const at = new Date();
      const byPrevious = new Map<string, string[]>();
      for (const d of todo) if (d.previousArtifactId) byPrevious.set(d.previousArtifactId, [...(byPrevious.get(d.previousArtifactId) ?? []), d.deviceId]);
      const out: Array<{ deploymentId: string; deviceIds: string[] }> = [];
      for (const [artifactId, ids] of byPrevious) {
        const dep = await this.deployments.openForRollout({ rolloutId: r.id, wave: r.currentWave, purpose: 'rollback', artifactId, gates: {}, createdBy: SYSTEM }, tx);
        await this.deployments.enroll(dep, ids, tx);
        await this.repo.markRollingBack(r.id, ids.map((deviceId) => ({ deviceId, deploymentId: dep.id })), at, tx);
        out.push({ deploymentId: dep.id, deviceIds: ids });
      }
      await this.repo.markRollingBack(r.id, todo.filter((d) => !d.previousArtifactId).map((d) => ({ deviceId: d.deviceId, deploymentId: null })), at, tx);
      return out;
    });
    for (const p of picked) await this.publish(r, p.deploymentId, p.deviceIds, 'rollbackPublishedAt');
    const after = picked.length || todo.length ? await this.repo.devices(r.id) : rows;
    const pending = new Map<string, string[]>();
    for (const d of after) if (d.state === 'rolling_back' && d.rollbackDeploymentId && !d.rollbackPublishedAt) pending.set(d.rollbackDeploymentId, [...(pending.get(d.rollbackDeploymentId) ?? []), d.deviceId]);
    for (const [deploymentId, ids] of pending) await this.publish(r, deploymentId, ids, 'rollbackPublishedAt');

    const back = after.filter((d) => d.state === 'rolling_back');
    const outcomes = await this.deployments.rowOutcomes([...new Set(back.map((d) => d.rollbackDeploymentId!))]);
    const state = new Map(outcomes.map((o) => [`${o.deploymentId}|${o.deviceId}`, o.state]));
    const states = back.map((d) => state.get(`${d.rollbackDeploymentId}|${d.deviceId}`));
    if (states.some((s) => s === 'pending' || s === 'downloading' || s === 'verifying' || s === 'benchmarking')) return;
    const restored = states.filter((s) => s === 'active').length;
    const noPrevious = after.filter((d) => d.state === 'rolled_back' && !d.rollbackDeploymentId).length;
    await this.uow.transaction(async (tx) => {
      const now = await this.repo.fence(r.id, this.owner, tx);
      if (now.state !== 'rolling_back') return;
      await this.repo.setDeviceState(r.id, back.map((d) => d.deviceId), 'rolled_back', tx);
      await this.repo.update(r.id, { state: 'rolled_back', finishedAt: new Date() }, tx);
      await this.rollouts.decide(r, {
        action: 'rolled-back',
        reason: `${restored} of ${back.length} device(s) report the model they ran before active again${back.length - restored ? `; ${back.length - restored} did not` : ''}${noPrevious ? `; ${noPrevious} ran no model before and keep what they have` : ''}`,
        metrics: { restored, notRestored: back.length - restored, noPrevious },
      }, SYSTEM, tx);
    });
    this.log.log(`rollout ${r.id} rolled back (${restored}/${back.length} restored)`);
  }
}
