// A batch of rows into a table through COPY, with a statement of one's own after it (ON CONFLICT, RETURNING):
// PostgreSQL's fastest way in for many rows, which Prisma cannot do.
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export interface StagedInsert {
  /**
   * In one transaction on one connection: COPY `text` (COPY's text format: one line per row, tab-separated
   * `columns`, `\N` for null) into the temporary table `staging_<like>` — shaped like the table `like`, no indexes,
   * made once per connection and emptied at commit — then run `sql`, which reads it, and return its rows. Either
   * everything commits or nothing does.
   */
  run<T extends object>(o: { like: string; columns: readonly string[]; text: string; sql: string }): Promise<T[]>;
}

/** COPY text format's escapes for one text value (backslash, tab, newline, carriage return). */
export function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!) : value;
}

export const stagingTable = (like: string): string => `staging_${like}`;

export function stagedInsert(pool: Pool): StagedInsert {
  // Connections that already have their staging tables (temporary tables live as long as the session).
  const made = new WeakMap<PoolClient, Set<string>>();
  return {
    async run<T extends object>({ like, columns, text, sql }: { like: string; columns: readonly string[]; text: string; sql: string }) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        const staging = stagingTable(like);
        const tables = made.get(client) ?? new Set<string>();
        if (!tables.has(staging)) {
          // Outside the transaction, so a rolled-back batch does not take the table with it.
          await client.query(`CREATE TEMPORARY TABLE IF NOT EXISTS "${staging}" (LIKE "${like}" INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`);
          tables.add(staging);
          made.set(client, tables);
        }
        await client.query('BEGIN');
        try {
          await new Promise<void>((resolve, reject) => {
            const copy = client.query(copyFrom(`COPY "${staging}" (${columns.map((c) => `"${c}"`).join(', ')}) FROM STDIN`));
            copy.on('finish', resolve);
            copy.on('error', reject);
            copy.end(text);
          });
          const rows = (await client.query(sql)).rows as T[];
          await client.query('COMMIT');
          return rows;
        } catch (err) {
          await client.query('ROLLBACK').catch((e: Error) => (broken = e));
          throw err;
        }
      } finally {
        // A connection whose rollback failed is not given back to the pool.
        client.release(broken);
      }
    },
  };
}
