// Changes committed by other processes on the same PostgreSQL database, heard through LISTEN/NOTIFY.
import { backoffDelay } from '@edgefleet/toolkit';
import type { Client } from 'pg';
import { connectClient, type PostgresTarget } from './postgres-target';
import { TableChanges } from './table-changes';

const RECONNECT = { baseMs: 200, maxMs: 10_000 };

/**
 * Keeps one connection LISTENing on TableChanges.notifyChannel and marks each notified table changed. While it is
 * down, `changes.reliable` is false (caches stop serving) and it reconnects with backoff; on reconnect everything
 * counts as changed, since notifications sent meanwhile are lost. Notifications are sent by the table triggers
 * at commit, so another control plane's write reaches this cache about one network round trip after it commits.
 */
export class ChangeListener {
  private client?: Client;
  private closed = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly target: PostgresTarget, private readonly changes: TableChanges, private readonly log: (line: string) => void) {}

  /** Resolves once listening, or after the first failure (it then keeps retrying in the background). */
  async start(): Promise<void> {
    await this.connect(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  private async connect(attempt: number): Promise<void> {
    if (this.closed) return;
    let client: Client | undefined;
    try {
      client = await connectClient(this.target);
      client.on('notification', (n) => {
        if (n.channel === TableChanges.notifyChannel && n.payload) this.changes.markChanged([n.payload]);
      });
      client.on('error', (err) => this.lost(client!, err));
      client.on('end', () => this.lost(client!, new Error('connection ended')));
      await client.query(`LISTEN ${TableChanges.notifyChannel}`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
      this.changes.setRemoteListener(true);
      if (attempt > 0) this.log(`listening for table changes again after ${attempt} attempt(s)`);
    } catch (err) {
      await client?.end().catch(() => undefined);
      this.retry(attempt + 1, err);
    }
  }

  private lost(client: Client, err: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.changes.setRemoteListener(false);
    void client.end().catch(() => undefined);
    this.retry(1, err);
  }

  private retry(attempt: number, err: unknown): void {
    if (this.closed) return;
    if (attempt === 1) this.log(`not listening for table changes (read caches off until it is back): ${err instanceof Error ? err.message : String(err)}`);
    this.timer = setTimeout(() => void this.connect(attempt), backoffDelay(attempt, RECONNECT));
  }
}
