// The little the migration runner needs from a connection, over node-postgres and PGlite alike.
// One session = one connection: advisory locks and BEGIN/COMMIT are per connection.
import type { PGlite } from '@electric-sql/pglite';
import type { Client } from 'pg';

export interface SqlSession {
  /** Runs a script of one or more statements (no parameters): a migration.sql. */
  exec(sql: string): Promise<void>;
  query<T extends object>(sql: string, params?: unknown[]): Promise<T[]>;
}

export function pgSession(client: Client): SqlSession {
  return {
    async exec(sql) {
      // Without parameters node-postgres uses the simple query protocol, which accepts several statements.
      await client.query(sql);
    },
    async query<T extends object>(sql: string, params: unknown[] = []) {
      return (await client.query(sql, params)).rows as T[];
    },
  };
}

export function pgliteSession(db: PGlite): SqlSession {
  return {
    async exec(sql) {
      await db.exec(sql);
    },
    async query<T extends object>(sql: string, params: unknown[] = []) {
      return (await db.query<T>(sql, params)).rows;
    },
  };
}
