/**
 * Group commit (and batched lookups): items submitted while a batch is being written wait and go together into the
 * next one, so a burst of N messages costs a few transactions (N lookups one query) instead of N. No timer: an idle queue writes an item at once (no added
 * latency); under load the batch grows by itself to whatever arrived during the previous write (up to `maxBatch`).
 *
 * `write` gets the items in arrival order and answers each one: a value, or an Error for that item alone (the
 * others are still written). If `write` throws, every item of the batch gets that error — callers retry the ones
 * they can (the batch was one transaction, rolled back whole).
 */
export class BatchQueue<T, R> {
  private queue: Array<{ item: T; resolve: (r: R) => void; reject: (err: unknown) => void }> = [];
  private writing = false;

  constructor(
    private readonly write: (items: T[]) => Promise<Array<R | Error>>,
    private readonly maxBatch = 500,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const results = await this.write(batch.map((b) => b.item));
          batch.forEach((b, i) => {
            const r = results[i];
            if (r instanceof Error) b.reject(r);
            else b.resolve(r as R);
          });
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
