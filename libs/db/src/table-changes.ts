// Which tables changed, as seen by this process: the invalidation signal of read caches (platform ReadCache).
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQuery, Transaction } from '@prisma/driver-adapter-utils';
import type { SqlSession } from './migrations/sql-session';

/** Table → the tables holding foreign keys to it (whose rows a delete or key update cascades to). */
export type TableDependants = ReadonlyMap<string, readonly string[]>;

/** The foreign keys of the public schema, as read from the catalogue. */
export async function readTableDependants(session: SqlSession): Promise<TableDependants> {
  const rows = await session.query<{ parent: string; child: string }>(
    `SELECT DISTINCT p.relname AS parent, c.relname AS child FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE k.contype = 'f' AND n.nspname = 'public'`,
  );
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.parent, [...(out.get(r.parent) ?? []), r.child]);
  return out;
}

/**
 * A counter per table, raised after a change to the table has committed. A reader takes `stamp(tables)` before
 * it reads and may keep what it read for as long as the stamp stays the same.
 *
 * Changes are learnt from this process's own statements (`watchWrites`: after the commit, before the writer
 * gets its answer, so a caller reads its own writes) and, on PostgreSQL, from other processes through
 * LISTEN/NOTIFY (`notifyChannel`, sent by the triggers of migration `…_apiperf_table_changes`). While that
 * listener is not connected, `reliable` is false and nothing may be cached.
 */
export class TableChanges {
  private seq = 0;
  private allAt = 0;
  private readonly changedAt = new Map<string, number>();
  private readonly reach = new Map<string, string[]>();
  private connected: boolean;

  /**
   * `local`: this process is the only writer (PGlite); else remote changes arrive by `markChanged` from the
   * listener. `dependants`: a write to a table counts as a change to every table referencing it, transitively
   * (ON DELETE CASCADE / SET NULL change rows the statement does not name).
   */
  constructor(local: boolean, dependants: TableDependants = new Map()) {
    this.connected = local;
    for (const table of dependants.keys()) {
      const seen = new Set([table]);
      const todo = [table];
      while (todo.length > 0) for (const child of dependants.get(todo.pop()!) ?? []) if (!seen.has(child)) (seen.add(child), todo.push(child));
      this.reach.set(table, [...seen]);
    }
  }

  /** The PostgreSQL channel the table triggers notify (payload: the table name). */
  static readonly notifyChannel = 'edgefleet_table_changes';

  /** False while changes made by other processes could go unseen (listener down): do not cache. */
  get reliable(): boolean {
    return this.connected;
  }

  /** Changes when any of `tables` changed (or everything was marked changed). */
  stamp(tables: readonly string[]): number {
    let s = this.allAt;
    for (const t of tables) s = Math.max(s, this.changedAt.get(t) ?? 0);
    return s;
  }

  markChanged(tables: Iterable<string>): void {
    this.seq++;
    for (const t of tables) for (const r of this.reach.get(t) ?? [t]) this.changedAt.set(r, this.seq);
  }

  /** Everything may have changed (a write whose table is unknown, a listener that reconnected). */
  markAllChanged(): void {
    this.allAt = ++this.seq;
  }

  /** The listener of remote changes went down (false: cache nothing, everything stale) or came back (true). */
  setRemoteListener(up: boolean): void {
    this.markAllChanged();
    this.connected = up;
  }
}

/** Marker for "the statement may write, but its table could not be read from the SQL". */
export const UNKNOWN_TABLE = '*';

const WRITE_TARGET = /\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|MERGE\s+INTO)\s+(?:ONLY\s+)?(?:"?public"?\.)?"?([A-Za-z_][A-Za-z0-9_]*)"?/gi;
const READ_ONLY = /^\s*(?:SELECT|SHOW|SET|RESET|BEGIN|START|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|LISTEN|UNLISTEN|DEALLOCATE|EXPLAIN)\b/i;
const WRITE_WORD = /\b(?:INSERT|UPDATE|DELETE|TRUNCATE|MERGE|ALTER|DROP|CREATE|COPY|CALL|DO)\b/i;

/**
 * Tables a statement may write. Over-reporting is harmless (`SELECT … FOR UPDATE OF x` names `OF`): a cache
 * entry is dropped early. A statement that may write but names no table it can parse reports UNKNOWN_TABLE.
 */
export function writtenTables(sql: string): string[] {
  const out: string[] = [];
  for (const m of sql.matchAll(WRITE_TARGET)) out.push(m[1]!);
  if (out.length === 0 && !READ_ONLY.test(sql) && WRITE_WORD.test(sql)) out.push(UNKNOWN_TABLE);
  return out;
}

const PLAIN_WRITE = /^\s*(?:INSERT|UPDATE|DELETE)\b/i;
const RETURNING = /\bRETURNING\b/i;

/**
 * True when a statement that completed certainly changed no row: a plain INSERT/UPDATE/DELETE (no WITH: a
 * data-modifying CTE's rows are not in the count) whose affected-row count is 0, or which returned no row from its
 * RETURNING clause. No row changed means no trigger per row and no cascade either. A lease renewal polled every
 * half second (`UPDATE "Rollout" … RETURNING id`, nothing due) would otherwise count as a change of every table
 * referencing Rollout and empty the deployment reads' cache twice a second.
 */
export function changedNothing(sql: string, result: unknown): boolean {
  if (!PLAIN_WRITE.test(sql)) return false;
  if (typeof result === 'number') return result === 0;
  const rows = (result as { rows?: unknown } | null)?.rows;
  return RETURNING.test(sql) && Array.isArray(rows) && rows.length === 0;
}

/**
 * The adapter factory with every write it carries reported to `changes` once it has committed: a statement
 * outside a transaction when it returns, the tables a transaction wrote when its commit returns (a rollback
 * reports nothing). Prisma sends every query — its own and raw SQL — through the adapter, so nothing escapes.
 */
export function watchWrites<F extends SqlDriverAdapterFactory>(factory: F, changes: TableChanges): F {
  return new Proxy(factory, {
    get(target, prop, receiver) {
      if (prop === 'connect') return async () => watchAdapter(await target.connect(), changes);
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

function report(changes: TableChanges, tables: string[]): void {
  if (tables.length === 0) return;
  if (tables.includes(UNKNOWN_TABLE)) changes.markAllChanged();
  else changes.markChanged(tables);
}

/**
 * Runs a statement and calls `wrote` unless it answered that it changed no row. Also on failure: a statement that
 * errors after writing (or a lost answer) must not leave a stale entry.
 */
async function runNoting<T>(run: (q: SqlQuery) => Promise<T>, q: SqlQuery, wrote: () => void): Promise<T> {
  let result: T | undefined;
  let answered = false;
  try {
    result = await run(q);
    answered = true;
    return result;
  } finally {
    if (!answered || !changedNothing(q.sql, result)) wrote();
  }
}

function watchAdapter(adapter: SqlDriverAdapter, changes: TableChanges): SqlDriverAdapter {
  const direct = (run: (q: SqlQuery) => Promise<unknown>) => (q: SqlQuery) => runNoting(run, q, () => report(changes, writtenTables(q.sql)));
  return new Proxy(adapter, {
    get(target, prop, receiver) {
      if (prop === 'queryRaw') return direct((q) => target.queryRaw(q));
      if (prop === 'executeRaw') return direct((q) => target.executeRaw(q));
      if (prop === 'executeScript') return async (script: string) => {
        try {
          await target.executeScript(script);
        } finally {
          changes.markAllChanged();
        }
      };
      if (prop === 'startTransaction') return async (...args: Parameters<SqlDriverAdapter['startTransaction']>) => watchTransaction(await target.startTransaction(...args), changes);
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

function watchTransaction(tx: Transaction, changes: TableChanges): Transaction {
  const written = new Set<string>();
  const note = <T>(run: (q: SqlQuery) => Promise<T>) => async (q: SqlQuery) => {
    const tables = writtenTables(q.sql);
    if (tables.length === 0) return run(q);
    return runNoting(run, q, () => { for (const t of tables) written.add(t); });
  };

  return new Proxy(tx, {
    get(target, prop, receiver) {
      if (prop === 'queryRaw') return note((q) => target.queryRaw(q));
      if (prop === 'executeRaw') return note((q) => target.executeRaw(q));
      if (prop === 'commit') return async () => {
        try {
          await target.commit();
        } finally {
          // Also when the commit's answer is lost: the transaction may have committed.
          report(changes, [...written]);
        }
      };
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}
