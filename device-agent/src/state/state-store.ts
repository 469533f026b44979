import { access, mkdir, readdir, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DesiredStateMessage, validateAs } from '@edgefleet/contracts';
import { readJsonIfExists, removeIfExists, writeJsonAtomic } from '../lib/atomic-file';
import type { Logger } from '../lib/logger';
import { emptyState, type PersistedState } from './agent-state';

const SHA = /^[a-f0-9]{64}$/;

/**
 * The agent's disk: `state.json` (desired, active, outcomes, staged — replaced atomically), `objects/<sha256>`
 * (verified content only: a file gets there by rename after its hash matched), and
 * `partial/<sha256>.part` + `.json` (downloads in progress with their block bitmap).
 */
export class StateStore {
  readonly dir: string;

  constructor(dir: string, private readonly logger: Logger) {
    this.dir = resolve(dir);
  }

  get statePath(): string {
    return join(this.dir, 'state.json');
  }

  objectPath(sha256: string): string {
    if (!SHA.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return join(this.dir, 'objects', sha256);
  }

  partialPaths(sha256: string): { data: string; meta: string } {
    if (!SHA.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return { data: join(this.dir, 'partial', `${sha256}.part`), meta: join(this.dir, 'partial', `${sha256}.json`) };
  }

  async init(): Promise<void> {
    await mkdir(join(this.dir, 'objects'), { recursive: true });
    await mkdir(join(this.dir, 'partial'), { recursive: true });
  }

  async hasObject(sha256: string): Promise<boolean> {
    try {
      await access(this.objectPath(sha256));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Loads state.json. A file that is not valid JSON or has the wrong shape is moved aside (kept for a human)
   * and the agent starts empty: a device must come back up, and the control plane re-sends desired state.
   */
  async load(): Promise<PersistedState> {
    let raw: unknown;
    try {
      raw = await readJsonIfExists(this.statePath);
    } catch (err) {
      return this.quarantine(`unreadable: ${(err as Error).message}`);
    }
    if (raw === undefined) return emptyState();
    const s = raw as Partial<PersistedState>;
    if (s.version !== 1 || !Array.isArray(s.outcomes)) return this.quarantine('unknown layout');
    let desired: DesiredStateMessage | undefined;
    if (s.desired !== undefined) {
      const r = validateAs(DesiredStateMessage, s.desired);
      if (!r.ok) this.logger.warn('stored desired state is invalid; dropping it', { errors: r.errors });
      desired = r.ok ? r.value : undefined;
    }
    const okModel = (m: unknown) => typeof m === 'object' && m !== null && SHA.test((m as { sha256?: string }).sha256 ?? '');
    return {
      version: 1,
      desired,
      active: okModel(s.active) ? s.active : undefined,
      previous: okModel(s.previous) ? s.previous : undefined,
      outcomes: s.outcomes,
      // A staged model that does not read back is benchmarked again at the switch (nothing worse).
      ...(okModel(s.staged) && typeof s.staged?.deploymentId === 'string' && typeof s.staged.bench?.latency?.p95Ms === 'number' ? { staged: s.staged } : {}),
    };
  }

  async save(state: PersistedState): Promise<void> {
    await writeJsonAtomic(this.statePath, state);
  }

  private async quarantine(why: string): Promise<PersistedState> {
    const aside = `${this.statePath}.corrupt-${Date.now()}`;
    this.logger.warn('state file rejected; starting empty', { why, movedTo: aside });
    await rename(this.statePath, aside);
    return emptyState();
  }

  /** Deletes stored objects and partials not in `keep` (old models, abandoned downloads). */
  async collectGarbage(keep: Set<string>): Promise<string[]> {
    const removed: string[] = [];
    for (const f of await readdir(join(this.dir, 'objects'))) {
      if (SHA.test(f) && !keep.has(f)) {
        await removeIfExists(join(this.dir, 'objects', f));
        removed.push(f);
      }
    }
    for (const f of await readdir(join(this.dir, 'partial'))) {
      const sha = f.slice(0, 64);
      if (SHA.test(sha) && !keep.has(sha)) await removeIfExists(join(this.dir, 'partial', f));
    }
    return removed;
  }
}
