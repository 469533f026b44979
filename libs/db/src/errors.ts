// Typed errors of the database layer. Each message is meant to be printed as-is to an operator:
// it names the database, host:port, directory or migration concerned and, where there is one, the fix.

export class DatabaseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** DATABASE_URL is not a postgres:// or postgresql:// URL. */
export class InvalidDatabaseUrlError extends DatabaseError {}

/** The PostgreSQL server could not be reached or refused the connection (auth, missing database, ...). */
export class DatabaseUnreachableError extends DatabaseError {
  constructor(
    message: string,
    readonly target: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The PGlite data directory is in use by another process (PGlite is single-process). */
export class DatabaseLockedError extends DatabaseError {
  constructor(
    message: string,
    readonly lockFile: string,
    readonly ownerPid: number | undefined,
  ) {
    super(message);
  }
}

/** The migrations folder is missing or malformed. */
export class MigrationsNotFoundError extends DatabaseError {}

/** A new migration could not be created (bad name, missing schema, clock behind the last migration). */
export class MigrationCreateError extends DatabaseError {}

/** A migration's SQL failed; its transaction was rolled back, so the database is as before it. */
export class MigrationFailedError extends DatabaseError {
  constructor(
    readonly migrationName: string,
    cause: unknown,
  ) {
    super(`migration ${migrationName} failed and was rolled back: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The database's migration history cannot be continued safely (e.g. a migration left failed by `prisma migrate`). */
export class MigrationHistoryError extends DatabaseError {}

export const isDatabaseError = (e: unknown): e is DatabaseError => e instanceof DatabaseError;
