import type { Role } from './roles';

/** What a request needs to know about its key. */
export interface VerifiedKey {
  id: string;
  role: Role;
  expiresAt: Date | null;
}

interface Entry {
  key: VerifiedKey;
  checkedAt: number;
  recheck?: Promise<VerifiedKey | undefined>;
}

/** Bounds memory when many distinct keys are used; the oldest entries go first. */
const MAX_ENTRIES = 10_000;

/**
 * Keys verified once (scrypt against the database) are served from memory by the SHA-256 of the presented key,
 * so a request costs one hash and a map lookup, not a database round trip and a scrypt. Every `recheckMs` an
 * entry's row is read again (revocation, expiry and role changes made by another control plane take effect
 * within that time; this control plane's own revocations at once via forgetId). Concurrent requests with the same
 * key share one verification and one re-check.
 */
export class VerifiedKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<VerifiedKey | undefined>>();
  private readonly touchedAt = new Map<string, number>();

  constructor(
    private readonly recheckMs: number,
    private readonly reload: (id: string) => Promise<{ role: Role; expiresAt: Date | null; revokedAt: Date | null } | null>,
  ) {}

  /**
   * get()'s answer when it needs no I/O — the entry is cached and not due for its re-check — else 'ask' (call
   * get()). Lets a busy client's requests pass the guard without a promise.
   */
  current(digest: string, now: Date): VerifiedKey | undefined | 'ask' {
    const entry = this.entries.get(digest);
    if (!entry || now.getTime() - entry.checkedAt >= this.recheckMs) return 'ask';
    return usable(entry.key, now);
  }

  /** The usable key for `digest`, verifying it with `verify` when it is not cached; undefined when refused. */
  async get(digest: string, verify: () => Promise<VerifiedKey | undefined>, now: Date): Promise<VerifiedKey | undefined> {
    let entry = this.entries.get(digest);
    if (!entry) {
      const key = await this.verifyOnce(digest, verify);
      if (!key) return undefined;
      entry = this.entries.get(digest);
      if (!entry) return usable(key, now);
    }
    if (now.getTime() - entry.checkedAt >= this.recheckMs) {
      const key = await this.recheck(digest, entry);
      return key && usable(key, now);
    }
    return usable(entry.key, now);
  }

  /** The cached key for `digest`, without verifying anything. */
  peek(digest: string): VerifiedKey | undefined {
    return this.entries.get(digest)?.key;
  }

  forgetId(id: string): void {
    for (const [digest, entry] of this.entries) if (entry.key.id === id) this.entries.delete(digest);
  }

  /** True (and remembered) when `id` was last touched more than `intervalMs` ago by this process. */
  dueForTouch(id: string, nowMs: number, intervalMs: number): boolean {
    const last = this.touchedAt.get(id);
    if (last !== undefined && nowMs - last < intervalMs) return false;
    if (this.touchedAt.size >= MAX_ENTRIES) this.touchedAt.clear();
    this.touchedAt.set(id, nowMs);
    return true;
  }

  private async verifyOnce(digest: string, verify: () => Promise<VerifiedKey | undefined>): Promise<VerifiedKey | undefined> {
    let p = this.pending.get(digest);
    if (!p) {
      p = verify().finally(() => this.pending.delete(digest));
      this.pending.set(digest, p);
      const key = await p;
      if (key) this.remember(digest, key);
      return key;
    }
    return p;
  }

  private recheck(digest: string, entry: Entry): Promise<VerifiedKey | undefined> {
    entry.recheck ??= this.reload(entry.key.id)
      .then((row) => {
        if (!row || row.revokedAt) {
          this.entries.delete(digest);
          return undefined;
        }
        entry.key = { id: entry.key.id, role: row.role, expiresAt: row.expiresAt };
        entry.checkedAt = Date.now();
        return entry.key;
      })
      .finally(() => (entry.recheck = undefined));
    return entry.recheck;
  }

  private remember(digest: string, key: VerifiedKey): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(digest, { key, checkedAt: Date.now() });
  }
}

const usable = (key: VerifiedKey, now: Date): VerifiedKey | undefined => (key.expiresAt && key.expiresAt <= now ? undefined : key);
