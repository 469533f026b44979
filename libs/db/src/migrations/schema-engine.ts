// Loads Prisma's schema engine compiled to WebAssembly (@prisma/schema-engine-wasm), the same engine
// `prisma migrate` runs natively, which cannot be downloaded here. The package's entry point imports the
// .wasm file as an ES module, which Node does not support without a flag, so it is instantiated here by hand
// the way that entry point would.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg' with { 'resolution-mode': 'import' };
import { MIGRATION_LOCK_CONTENT, MIGRATION_LOCK_FILE, readMigrations } from './migration-files';

type EngineModule = typeof import('@prisma/schema-engine-wasm/schema_engine_bg', { with: { 'resolution-mode': 'import' } });

// @types/node 20 does not declare the WebAssembly global; this is the part used here.
interface WasmInstance {
  exports: Record<string, unknown>;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, unknown>) => WasmInstance;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let engineModule: Promise<EngineModule> | undefined;

function loadEngineModule(): Promise<EngineModule> {
  // The wasm-bindgen glue keeps the instance in module state: instantiate once per process.
  engineModule ??= (async () => {
    const bg = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const wasmPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg').replace(/\.js$/, '.wasm');
    const instance = new wasmApi.Instance(new wasmApi.Module(readFileSync(wasmPath)), { './schema_engine_bg.js': bg });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return bg;
  })();
  return engineModule;
}

export interface OfflineSchemaEngine {
  engine: SchemaEngine;
  /** Frees the engine and the in-memory database behind it. */
  close(): Promise<void>;
}

/**
 * Driver adapters for the engine over one in-memory PGlite, created on first use and closed by close().
 * The engine asks for a main database and a "shadow" one (where it replays the migrations to learn the
 * schema they produce); for a diff the main one is only connected to, never changed, so both share one
 * PGlite: each costs ~2 s to start. (pglite-prisma-adapter's own connectToShadowDb never closes the PGlite
 * it makes, whose 10 s internal timers then keep the process alive.)
 */
class InMemoryPGliteFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres';
  readonly adapterName = 'pglite-in-memory';
  private db: Promise<PGlite> | undefined;

  connect(): Promise<SqlDriverAdapter> {
    return this.open();
  }
  connectToShadowDb(): Promise<SqlDriverAdapter> {
    return this.open();
  }
  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    if (db !== undefined) await (await db).close();
  }
  private async open(): Promise<SqlDriverAdapter> {
    this.db ??= PGlite.create('memory://schema-engine');
    return new PrismaPGlite(await this.db).connect();
  }
}

/** A schema engine whose databases are all in-memory PGlites, so diffs need no server at all. */
export async function openOfflineSchemaEngine(
  schemaPath: string,
  schema: string,
  log?: (line: string) => void,
): Promise<OfflineSchemaEngine> {
  const factory = new InMemoryPGliteFactory();
  const engine = await openSchemaEngine(schemaPath, schema, factory, log);
  return {
    engine,
    async close() {
      engine.free();
      await factory.close();
    },
  };
}

/**
 * Prisma's schema engine over any driver adapter: with a real database's adapter it does what `prisma migrate`
 * would (diagnoseMigrationHistory, applyMigrations, ...). Call engine.free() when done.
 */
export async function openSchemaEngine(
  schemaPath: string,
  schema: string,
  factory: SqlMigrationAwareDriverAdapterFactory,
  log?: (line: string) => void,
): Promise<SchemaEngine> {
  const bg = await loadEngineModule();
  return bg.SchemaEngine.new(
    { datamodels: [[schemaPath, schema]] },
    (line: string) => log?.(line.trimEnd()),
    bindMigrationAwareSqlAdapterFactory(factory),
  );
}

/** The migrations folder in the shape the engine takes (what the Prisma CLI reads from disk). */
export function migrationList(dir: string): MigrationList {
  const lockPath = join(dir, MIGRATION_LOCK_FILE);
  // A folder with no migrations yet has no lock file; the provider is fixed (postgresql) anyway.
  const lock = existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : MIGRATION_LOCK_CONTENT;
  return {
    baseDir: dir,
    lockfile: { path: MIGRATION_LOCK_FILE, content: lock },
    shadowDbInitScript: '',
    // No folder yet (the very first migration): diff from an empty database.
    migrationDirectories: (existsSync(dir) ? readMigrations(dir) : []).map((m) => ({
      path: m.name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: m.sql } },
    })),
  };
}
