import { UnknownDeploymentError, UnknownDeviceError } from '@edgefleet/platform';
import type { Db } from '@edgefleet/platform';
import type { DeviceMessageRepository } from '../devices/device-message.repository';
import type { DeviceRepository } from '../devices/device.repository';
import type { DeploymentStatusName } from './deployment-state';
import type { DeliveredArtifact, DeploymentRepository, LockedDeviceRow } from './deployment.repository';

/** A device's message about its row of a deployment (progress, report). */
export interface RowMessage { deviceId: string; msg: { deploymentId: string; msgId?: string } }

/** What both batch writers read first. */
export interface RowBatchDeps {
  deployments: DeploymentRepository;
  devices: DeviceRepository;
  messages: DeviceMessageRepository;
  artifacts: DeliveredArtifacts;
}

/** Deployments whose artifact is remembered; a bound, not a policy (a miss costs one query). */
const MAX_CACHED_DEPLOYMENTS = 10_000;

/**
 * The artifact each deployment delivers, read once per deployment: a deployment never changes its artifact and an
 * artifact's sha256 is its content, so this is immutable and checked on every progress and report without a join.
 */
export class DeliveredArtifacts {
  private readonly known = new Map<string, DeliveredArtifact>();

  constructor(private readonly deployments: DeploymentRepository) {}

  async of(deploymentIds: readonly string[], db: Db): Promise<Map<string, DeliveredArtifact>> {
    const missing = [...new Set(deploymentIds)].filter((id) => !this.known.has(id));
    if (missing.length > 0) {
      const found = await this.deployments.deliveredArtifacts(missing, db);
      if (this.known.size + found.size > MAX_CACHED_DEPLOYMENTS) this.known.clear();
      for (const [id, a] of found) this.known.set(id, a);
    }
    const out = new Map<string, DeliveredArtifact>();
    for (const id of deploymentIds) {
      const a = this.known.get(id);
      if (a) out.set(id, a);
    }
    return out;
  }
}

/**
 * The first statements of a batch of row messages, in lock order: claim the msgIds (a concurrent resend on another
 * control plane waits here, before any row lock), optionally lock the deployments (id order), then lock and read the
 * rows (id order) and the deployments' artifacts. `fresh` are the messages that are not resends, in arrival order;
 * `target(i)` is a message's row and artifact, or the error that refuses it; `release` takes back the claims of the
 * messages refused after all, so their resend is judged again.
 */
export class RowMessageBatch {
  private constructor(
    readonly fresh: number[],
    readonly statuses: Map<string, DeploymentStatusName>,
    private readonly items: readonly RowMessage[],
    private readonly claims: Array<{ i: number; deviceId: string; msgId: string }>,
    private readonly rows: Map<string, LockedDeviceRow>,
    private readonly artifacts: Map<string, DeliveredArtifact>,
    private readonly deps: RowBatchDeps,
    private readonly tx: Db,
  ) {}

  static async open(items: readonly RowMessage[], kind: string, opts: { lockDeployments: boolean }, deps: RowBatchDeps, tx: Db): Promise<RowMessageBatch> {
    const claims = items.flatMap((it, i) => (it.msg.msgId !== undefined ? [{ i, deviceId: it.deviceId, msgId: it.msg.msgId }] : []));
    const claimed = await deps.messages.claimMany(claims, kind, tx);
    const resends = new Set(claims.filter((_, j) => !claimed.has(j)).map((e) => e.i));
    const fresh = items.map((_, i) => i).filter((i) => !resends.has(i));
    // Deployments before rows: see DeploymentRepository.lock.
    const statuses = opts.lockDeployments ? await deps.deployments.lockMany(fresh.map((i) => items[i]!.msg.deploymentId), tx) : new Map<string, DeploymentStatusName>();
    const locked = await deps.deployments.lockDeviceRows(fresh.map((i) => ({ deploymentId: items[i]!.msg.deploymentId, deviceId: items[i]!.deviceId })), tx);
    const rows = new Map(locked.map((r) => [rowKey(r), r]));
    const artifacts = await deps.artifacts.of(locked.map((r) => r.deploymentId), tx);
    return new RowMessageBatch(fresh, statuses, items, claims, rows, artifacts, deps, tx);
  }

  /**
   * The message's row (as updated so far in this batch) and what its deployment delivers, or why it is refused: no
   * such row, or what `check` finds wrong with the artifact (the message names another one).
   */
  async target(i: number, check: (artifact: DeliveredArtifact) => Error | undefined): Promise<{ row: LockedDeviceRow; artifact: DeliveredArtifact } | Error> {
    const { deviceId, msg } = this.items[i]!;
    const row = this.rows.get(rowKey({ deploymentId: msg.deploymentId, deviceId }));
    const artifact = row && this.artifacts.get(row.deploymentId);
    if (row && artifact) return check(artifact) ?? { row, artifact };
    return (await this.deps.devices.find(deviceId, this.tx)) ? new UnknownDeploymentError(msg.deploymentId, deviceId) : new UnknownDeviceError(deviceId);
  }

  /** Replaces a row as later messages of this batch see it. */
  update(row: LockedDeviceRow): void {
    this.rows.set(rowKey(row), row);
  }

  async release(refused: readonly number[]): Promise<void> {
    await this.deps.messages.unclaim(this.claims.filter((e) => refused.includes(e.i)), this.tx);
  }
}

const rowKey = (r: { deploymentId: string; deviceId: string }) => `${r.deploymentId}\n${r.deviceId}`;
