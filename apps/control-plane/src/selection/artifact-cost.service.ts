import { Injectable, Logger } from '@nestjs/common';
import { countMacs } from '@edgefleet/onnx';
import { ArtifactStore } from '../artifacts/artifact.store';
import { ModelRepository, type CatalogueRow } from '../models/model.repository';

/**
 * MACs per sample of an artifact: the stored number, else counted from its ONNX graph once (uploaded models
 * arrive without it) and saved back to the row.
 */
@Injectable()
export class ArtifactCostService {
  private readonly log = new Logger('Selection');

  constructor(private readonly store: ArtifactStore, private readonly models: ModelRepository) {}

  /** undefined (and a warning in the log) when the stored file cannot be read as ONNX: selection skips it. */
  async macsOf(a: CatalogueRow): Promise<{ macs?: number; problem?: string }> {
    if (a.macs !== null) return { macs: Number(a.macs) };
    try {
      const { macs } = countMacs(await this.store.get(a.storageKey));
      await this.models.saveMacs(a.id, macs);
      return { macs };
    } catch (err) {
      const problem = `cannot count MACs of ${a.name} ${a.version} (${a.precision}): ${(err as Error).message}`;
      this.log.warn(problem);
      return { problem };
    }
  }
}
