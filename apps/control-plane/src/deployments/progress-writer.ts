import type { ProgressMessage } from '@edgefleet/contracts';
import { ArtifactMismatchError } from '@edgefleet/platform';
import type { Db, UnitOfWork } from '@edgefleet/platform';
import { BatchQueue } from '../common/batch-queue';
import { blocksAfterProgress, isFinished, stateAfterProgress, type DeviceState } from './deployment-state';
import type { LockedDeviceRow } from './deployment.repository';
import { RowMessageBatch, type RowBatchDeps } from './row-message-batch';

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

  constructor(private readonly uow: UnitOfWork, private readonly deps: RowBatchDeps) {}

  record(deviceId: string, msg: ProgressMessage): Promise<void> {
    return this.batches.submit({ deviceId, msg });
  }

  private async write(items: Item[], tx: Db): Promise<Array<void | Error>> {
    const results: Array<void | Error> = items.map(() => undefined);
    const batch = await RowMessageBatch.open(items, 'progress', { lockDeployments: false }, this.deps, tx);
    const changed = new Map<string, LockedDeviceRow & { state: DeviceState }>();
    const refused: number[] = [];
    for (const i of batch.fresh) {
      const { msg } = items[i]!;
      const target = await batch.target(i, (a) => (msg.sha256 !== a.sha256 && msg.sha256 !== a.evalSetSha256 ? new ArtifactMismatchError(msg.deploymentId, a.sha256, msg.sha256) : undefined));
      if (target instanceof Error) {
        results[i] = target;
        refused.push(i);
        continue;
      }
      const { row, artifact } = target;
      if (isFinished(row.state)) continue; // late or redelivered progress after the report
      const state = stateAfterProgress(row.state, msg.state);
      const next = { ...row, state, ...blocksAfterProgress(row, state, msg, artifact.sha256) };
      batch.update(next);
      changed.set(row.id, next);
    }
    await batch.release(refused);
    await this.deps.deployments.updateDeviceRows([...changed.values()], tx);
    return results;
  }
}
