import type { DesiredStateMessage } from '@edgefleet/contracts';
import type { ObjectStatus } from '../planner/planner';
import type { StateStore } from '../state/state-store';
import { readCheckpoint, type ObjectRef } from '../transfer/partial-download';

/** What is on disk of the objects `desired` names (model, eval set): verified, or how many blocks of a partial. */
export async function objectStatuses(store: StateStore, desired: DesiredStateMessage | undefined): Promise<Record<string, ObjectStatus>> {
  const out: Record<string, ObjectStatus> = {};
  if (!desired) return out;
  const { artifact } = desired;
  const refs: ObjectRef[] = [{ sha256: artifact.sha256, size: artifact.size, blockSize: artifact.blockSize }];
  if (artifact.evalSet) refs.push({ sha256: artifact.evalSet.sha256, size: artifact.evalSet.size, blockSize: artifact.blockSize });
  for (const ref of refs) {
    if (await store.hasObject(ref.sha256)) out[ref.sha256] = { stored: true };
    else out[ref.sha256] = { stored: false, haveBlocks: (await readCheckpoint(ref, store.partialPaths(ref.sha256)))?.count ?? 0 };
  }
  return out;
}
