import { Injectable, Logger } from '@nestjs/common';
import { countMacs } from '@edgefleet/onnx';
import { ArtifactStore } from '@edgefleet/platform';
import type { CatalogueRow } from '@edgefleet/catalog';

/**
 * MACs per sample of an artifact: the number counted at upload / publish (ModelInspector), else — for rows stored
 * before MACs were counted there, or graphs the counter could not follow then — counted from the ONNX file here,
 * in memory only: a read of the catalogue never writes to it. Files are content addressed, so a count is kept per
 * sha256 for the life of the process.
 */
@Injectable()
export class ArtifactCostService {
  private readonly log = new Logger('Selection');
  private readonly counted = new Map<string, { macs?: number; problem?: string }>();

  constructor(private readonly store: ArtifactStore) {}

  /** `problem` (and a warning in the log, once) when the stored file cannot be read as ONNX: selection skips it. */
  async macsOf(a: CatalogueRow): Promise<{ macs?: number; problem?: string }> {
    if (a.macs !== null) return { macs: Number(a.macs) };
    const known = this.counted.get(a.storageKey);
    if (known) return known;
    let out: { macs?: number; problem?: string };
    try {
      out = { macs: countMacs(await this.store.get(a.storageKey)).macs };
    } catch (err) {
      out = { problem: `cannot count MACs of ${a.name} ${a.version} (${a.precision}): ${(err as Error).message}` };
      this.log.warn(out.problem);
    }
    this.counted.set(a.storageKey, out);
    return out;
  }
}
