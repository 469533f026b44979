/**
 * One repository per table: every Prisma model is read and written by exactly one `*.repository.ts` (its
 * owner); other modules go through the owner's repository or service. Reads the sources, so a new query on
 * another module's table fails here rather than in review.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');
/** Every server package's sources: the control plane, the distiller and the libs they share. */
const SOURCES = ['apps', 'libs'].flatMap((d) => readdirSync(join(ROOT, d)).map((p) => join(ROOT, d, p, 'src')));
/**
 * Known exception, being moved by issue 8's autopilot part: the autopilot repository still reads other modules'
 * tables. Remove the entry once it goes through their services.
 */
const NOT_YET_OWNED = new Set(['apps/control-plane/src/autopilot/autopilot.repository.ts']);

/** Owners not named `*.repository.ts`: the job queue owns `Job` (docs/conventions.md §3). */
const OWNERS_BY_OTHER_NAME = new Set(['libs/jobs/src/job.queue.ts']);

function* files(dir: string): Generator<string> {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (e === 'generated') continue; // Prisma's own client
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts') && !p.endsWith('.spec.ts')) yield p;
  }
}

test('every table is touched by one repository, and only repositories touch Prisma', () => {
  const users = new Map<string, Set<string>>();
  for (const file of SOURCES.flatMap((src) => [...files(src)])) {
    const rel = relative(ROOT, file);
    if (rel.includes('/testing/') || rel.includes('/test-support/')) continue; // test helpers build fixtures directly
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/\b(?:prisma|db|tx)\.(\w+)\.(?:create|createMany|update|updateMany|upsert|delete|deleteMany|findMany|findUnique|findFirst|count|groupBy|aggregate)\(/g)) {
      const table = m[1]!;
      assert.ok(rel.endsWith('.repository.ts') || OWNERS_BY_OTHER_NAME.has(rel), `${rel} queries ${table}: only repositories touch Prisma`);
      if (NOT_YET_OWNED.has(rel)) continue;
      if (!users.has(table)) users.set(table, new Set());
      users.get(table)!.add(rel);
    }
  }
  assert.ok(users.get('modelArtifact')?.has('libs/catalog/src/models/model.repository.ts'), 'the scan finds the queries');
  const shared = [...users].filter(([, by]) => by.size > 1).map(([table, by]) => `${table}: ${[...by].join(', ')}`);
  assert.deepEqual(shared, [], 'tables with more than one repository');
});
