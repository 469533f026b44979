// Test helpers for code that needs a real PostgreSQL: a fresh, empty database per test (or suite), dropped
// afterwards. Server and credentials come from TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test).
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { readDbEnv } from './env';
import { connectClient, parsePostgresUrl } from './postgres-target';

export interface TempPostgresDatabase {
  url: string;
  /** Drops the database, disconnecting anyone still using it. */
  drop(): Promise<void>;
}

export async function createTempPostgresDatabase(baseUrl: string = readDbEnv().testDatabaseUrl): Promise<TempPostgresDatabase> {
  const base = parsePostgresUrl(baseUrl);
  const name = `edgefleet_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await withClient(baseUrl, (sql) => sql(`CREATE DATABASE "${name}"`));
  const u = new URL(base.url);
  u.pathname = `/${name}`;
  let dropped = false;
  return {
    url: u.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      // FORCE (PostgreSQL 13+) ends sessions a test left open (a pool not closed), so cleanup cannot hang.
      await withClient(baseUrl, (sql) => sql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** true when the test PostgreSQL accepts connections; the reason otherwise. */
export async function probeTestPostgres(baseUrl: string = readDbEnv().testDatabaseUrl): Promise<true | string> {
  try {
    await withClient(baseUrl, async () => undefined, 3_000);
    return true;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * For suites that need PostgreSQL: `before(() => gate.probe())`, then `if (gate.skipped(t)) return;` in each
 * test. Off CI a developer without PostgreSQL gets a skip with the reason; with CI=true the same situation
 * fails the suite, so CI can never pass by skipping.
 */
export class PostgresGate {
  private status: true | string = 'not probed (call probe() in before())';

  async probe(): Promise<void> {
    this.status = await probeTestPostgres();
    if (this.status !== true && readDbEnv().ci) {
      throw new Error(`CI=true requires the test PostgreSQL (TEST_DATABASE_URL): ${this.status}`);
    }
  }

  /** true when the test was skipped because PostgreSQL is unreachable (off CI only). */
  skipped(t: TestContext): boolean {
    if (this.status === true) return false;
    t.skip(`PostgreSQL unreachable: ${this.status}`);
    return true;
  }
}

async function withClient(url: string, fn: (sql: (text: string) => Promise<unknown>) => Promise<unknown>, timeoutMs?: number): Promise<void> {
  const client = await connectClient(parsePostgresUrl(url), timeoutMs);
  try {
    await fn((text) => client.query(text));
  } finally {
    await client.end();
  }
}
