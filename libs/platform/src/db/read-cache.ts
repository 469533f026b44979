import { Inject, Injectable } from '@nestjs/common';
import type { Database, TableChanges } from '@edgefleet/db';
import { markShared } from '../common/shared-views';
import { DATABASE } from './database.token';

/** Bounds memory; the oldest entries go first. */
const MAX_ENTRIES = 500;

interface Entry {
  stamp: number;
  value: Promise<unknown>;
}

/**
 * Results of reads, kept until a table they read changes (TableChanges: this process's commits at once, other
 * control planes' through PostgreSQL LISTEN/NOTIFY about a round trip after they commit; nothing is cached while
 * that listener is down). A read that overlaps a commit to its tables is answered but not kept. Concurrent
 * misses of one key share one load. Cached values are shared between callers (markShared: their views and JSON
 * are memoized too): never mutate what `read` returns.
 */
@Injectable()
export class ReadCache {
  private readonly changes: TableChanges;
  private readonly entries = new Map<string, Entry>();

  constructor(@Inject(DATABASE) db: Pick<Database, 'changes'>) {
    this.changes = db.changes;
  }

  /** `load()`'s result for `key`, from memory while none of `tables` (every table `load` reads) has changed. */
  read<T>(tables: readonly string[], key: string, load: () => Promise<T>): Promise<T> {
    if (!this.changes.reliable) return load();
    const stamp = this.changes.stamp(tables);
    const hit = this.entries.get(key);
    if (hit && hit.stamp === stamp) return hit.value as Promise<T>;
    const value = load().then((v) => (markShared(v), v));
    this.remember(key, { stamp, value });
    value.then(
      () => {
        // Changed while loading: what was read may predate the change.
        if (this.changes.stamp(tables) !== stamp || !this.changes.reliable) this.forget(key, value);
      },
      () => this.forget(key, value),
    );
    return value;
  }

  private remember(key: string, entry: Entry): void {
    this.entries.delete(key);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, entry);
  }

  private forget(key: string, value: Promise<unknown>): void {
    if (this.entries.get(key)?.value === value) this.entries.delete(key);
  }
}
