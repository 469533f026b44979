import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../lib/atomic-file';
import type { Logger } from '../lib/logger';

interface HighWaterFile {
  seq: number;
  deploymentId: string;
  at: string;
}

/**
 * The highest desired-state `seq` this device ever accepted, in `<stateDir>/desired-seq.json` (replaced atomically
 * before the desired state itself is stored). It outlives the outcome history, which is bounded and can be flooded:
 * an old, genuinely signed desired state stays refused however much happened since.
 */
export class HighWaterMark {
  private seq = 0;

  constructor(private readonly dir: string, private readonly logger: Logger) {}

  get path(): string {
    return join(this.dir, 'desired-seq.json');
  }

  get value(): number {
    return this.seq;
  }

  /** Loads the mark; never below `floor` (the seq of the stored desired state), so a lost file does not reopen the past. */
  async load(floor: number): Promise<number> {
    let onDisk = 0;
    try {
      const f = (await readJsonIfExists(this.path)) as Partial<HighWaterFile> | undefined;
      if (f !== undefined) {
        if (!Number.isSafeInteger(f.seq) || f.seq! < 0) throw new Error('no seq');
        onDisk = f.seq!;
      }
    } catch (err) {
      this.logger.error('desired-seq.json unreadable; using the stored desired state\'s seq', { error: (err as Error).message, floor });
    }
    this.seq = Math.max(onDisk, floor);
    return this.seq;
  }

  async raise(seq: number, deploymentId: string): Promise<void> {
    if (seq <= this.seq) return;
    const f: HighWaterFile = { seq, deploymentId, at: new Date().toISOString() };
    await writeJsonAtomic(this.path, f);
    this.seq = seq;
  }
}
