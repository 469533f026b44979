import type { ProgressMessage } from '@edgefleet/contracts';
import { ArtifactMismatchError, UnknownDeploymentError, UnknownDeviceError } from '@edgefleet/platform';
import type { Db, UnitOfWork } from '@edgefleet/platform';
import { BatchQueue } from '../common/batch-queue';
import type { DeviceMessageRepository } from '../devices/device-message.repository';
import type { DeviceRepository } from '../devices/device.repository';
import { blocksAfterProgress, isFinished, stateAfterProgress, type DeviceState } from './deployment-state';
import type { DeliveredArtifact, DeploymentRepository, LockedDeviceRow } from './deployment.repository';

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

interface Item { deviceId: string; msg: ProgressMessage }

/**
 * Download/verify/benchmark progress (not `failed`, which rolls the deployment up and goes the single-message way),
 * written by group commit: the messages that arrived while the previous batch was being written go into one
 * transaction of four statements — claim their msgIds, lock and read their rows, update the rows — however many
 * there are. Per message, the rules are those of a single one: a resend (msgId stored) changes nothing, a finished
 * row never changes, an unfinished one never moves backwards (stateAfterProgress), and a message for an unknown row
 * or another artifact is refused alone (its claim taken back) while the rest of the batch is stored. A device's
 * messages in one batch apply in arrival order. The caller acks a message only after its batch committed.
 */
export class ProgressWriter {
  private readonly batches = new BatchQueue<Item, void>((items) => this.uow.transaction((tx) => this.write(items, tx)));

  constructor(
    private readonly uow: UnitOfWork,
    private readonly deployments: DeploymentRepository,
    private readonly devices: DeviceRepository,
    private readonly messages: DeviceMessageRepository,
    private readonly artifacts: DeliveredArtifacts,
  ) {}

  record(deviceId: string, msg: ProgressMessage): Promise<void> {
    return this.batches.submit({ deviceId, msg });
  }

  private async write(items: Item[], tx: Db): Promise<Array<void | Error>> {
    const results: Array<void | Error> = items.map(() => undefined);
    // Message ids first: a concurrent resend (another control plane) waits here, before any row lock.
    const withId = items.flatMap((it, i) => (it.msg.msgId !== undefined ? [{ i, deviceId: it.deviceId, msgId: it.msg.msgId }] : []));
    const claimed = await this.messages.claimMany(withId, 'progress', tx);
    const resends = new Set(withId.filter((_, j) => !claimed.has(j)).map((e) => e.i));
    const fresh = items.map((_, i) => i).filter((i) => !resends.has(i));
    const rows = new Map((await this.deployments.lockDeviceRows(fresh.map((i) => ({ deploymentId: items[i]!.msg.deploymentId, deviceId: items[i]!.deviceId })), tx)).map((r) => [rowKey(r), r]));
    const artifacts = await this.artifacts.of([...rows.values()].map((r) => r.deploymentId), tx);
    const changed = new Map<string, LockedDeviceRow & { state: DeviceState }>();
    const refused: number[] = [];
    for (const i of fresh) {
      const { deviceId, msg } = items[i]!;
      const row = rows.get(rowKey({ deploymentId: msg.deploymentId, deviceId }));
      const a = row && artifacts.get(row.deploymentId);
      if (!row || !a) {
        results[i] = (await this.devices.find(deviceId, tx)) ? new UnknownDeploymentError(msg.deploymentId, deviceId) : new UnknownDeviceError(deviceId);
        refused.push(i);
        continue;
      }
      if (msg.sha256 !== a.sha256 && msg.sha256 !== a.evalSetSha256) {
        results[i] = new ArtifactMismatchError(msg.deploymentId, a.sha256, msg.sha256);
        refused.push(i);
        continue;
      }
      if (isFinished(row.state)) continue; // late or redelivered progress after the report
      const state = stateAfterProgress(row.state, msg.state);
      const next = { ...row, state, ...blocksAfterProgress(row, state, msg, a.sha256) };
      rows.set(rowKey(row), next);
      changed.set(row.id, next);
    }
    await this.messages.unclaim(withId.filter((e) => refused.includes(e.i)), tx);
    await this.deployments.updateDeviceRows([...changed.values()], tx);
    return results;
  }
}

export const rowKey = (r: { deploymentId: string; deviceId: string }) => `${r.deploymentId}\n${r.deviceId}`;
