// Snapshot tests for hand-written SQL: a repository method runs against a recorder instead of a database, and
// the query text it sends must equal the committed `.sql` file beside the spec. A change to such a query then
// shows in review as a change of that file. `UPDATE_SQL_SNAPSHOTS=1` rewrites the files (then read the diff).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Prisma } from './generated/prisma/client';
import { readDbEnv } from './env';

export interface RawSqlRecorder {
  /** Stands in for a PrismaClient or transaction: only the raw-query methods exist. */
  db: {
    $queryRaw: (strings: TemplateStringsArray, ...values: unknown[]) => Promise<unknown[]>;
    $executeRaw: (strings: TemplateStringsArray, ...values: unknown[]) => Promise<number>;
  };
  /** The queries sent so far, as PostgreSQL receives them ($1, $2, … placeholders), with their parameter count. */
  text(): string;
}

/** `rows` answers $queryRaw, `count` answers $executeRaw. */
export function recordRawSql(answers: { rows?: unknown[]; count?: number } = {}): RawSqlRecorder {
  const sent: Prisma.Sql[] = [];
  return {
    db: {
      $queryRaw: async (strings, ...values) => { sent.push(Prisma.sql(strings, ...values)); return answers.rows ?? []; },
      $executeRaw: async (strings, ...values) => { sent.push(Prisma.sql(strings, ...values)); return answers.count ?? 0; },
    },
    text: () => sent.map((q) => `${dedent(q.text)}\n-- ${q.values.length} parameter(s)\n`).join('\n'),
  };
}

/** Compares with (or, under UPDATE_SQL_SNAPSHOTS=1, writes) the snapshot file at `path` — give the src path. */
export function assertSqlSnapshot(path: string, actual: string): void {
  if (readDbEnv().updateSqlSnapshots) {
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `no SQL snapshot at ${path}: run with UPDATE_SQL_SNAPSHOTS=1 once and commit it`);
  assert.equal(actual, readFileSync(path, 'utf8'), `the SQL differs from ${path}; if intended, rerun with UPDATE_SQL_SNAPSHOTS=1 and commit the file`);
}

/** A spec's compiled location (dist/…) mapped to its source folder, where snapshots are committed. */
export const sourceDirOf = (distDir: string) => distDir.replace(/([\\/])dist([\\/]|$)/, '$1src$2');

function dedent(sql: string): string {
  const lines = sql.replace(/^\n+|\s+$/g, '').split('\n').map((l) => l.replace(/\s+$/, ''));
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}
