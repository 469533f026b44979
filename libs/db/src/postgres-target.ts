// Parsing DATABASE_URL, connecting, and turning node-postgres connection failures into errors that name the server.
import { Client, Pool, type ClientBase } from 'pg';
import { DatabaseUnreachableError, InvalidDatabaseUrlError, type DatabaseError } from './errors';

export interface PostgresTarget {
  url: string;
  /** host:port (or the socket directory) */
  address: string;
  database: string;
  /** The URL without its password, safe to print. */
  redacted: string;
}

export function parsePostgresUrl(url: string): PostgresTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidDatabaseUrlError(`DATABASE_URL is not a valid URL: expected postgresql://user[:password]@host[:port]/database`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new InvalidDatabaseUrlError(
      `DATABASE_URL must start with postgresql:// or postgres:// (got ${u.protocol}//); unset it to use the embedded PGlite database`,
    );
  }
  const socketHost = u.searchParams.get('host');
  const host = socketHost ?? (u.hostname === '' ? 'localhost' : u.hostname);
  const address = `${host}:${u.port === '' ? '5432' : u.port}`;
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres';
  if (u.password !== '') u.password = '***';
  return { url, address, database, redacted: u.toString() };
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is PostgreSQL running and listening there?)',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset by the server',
};

/** Maps a connect-time error from node-postgres to a DatabaseUnreachableError that names host:port. */
export function connectError(err: unknown, target: PostgresTarget): DatabaseError {
  const e = err as { code?: string; message?: string; errors?: unknown[] };
  // Node reports a host with several addresses (localhost → ::1 and 127.0.0.1) as an AggregateError.
  const code = e.code ?? (e.errors?.[0] as { code?: string } | undefined)?.code;
  let reason: string;
  if (code !== undefined && NETWORK_CODES[code] !== undefined) reason = NETWORK_CODES[code];
  else if (code === '3D000') reason = `database "${target.database}" does not exist`;
  else if (code === '28P01' || code === '28000') reason = `authentication failed: ${e.message ?? code}`;
  else if (/timeout/i.test(e.message ?? '')) reason = 'connection timed out';
  else reason = e.message ?? String(err);
  return new DatabaseUnreachableError(
    `cannot connect to PostgreSQL at ${target.address} (${target.redacted}): ${reason}`,
    target.address,
    { cause: err },
  );
}

/**
 * node-postgres emits 'error' on a connected client when the server ends its session while no query runs on it — a
 * FATAL such as 57P01 "terminating connection due to administrator command" (PostgreSQL stopping or restarting,
 * pg_terminate_backend) or a reset socket — and an 'error' event nobody listens to ends the process. A pool's idle
 * client has the pool's listener and a query its own, but a client just handed out has none until its user attaches
 * one: @prisma/adapter-pg attaches it after `await pool.connect()`, so a FATAL parsed in the same socket read that
 * handed the client out (a ReadyForQuery and the FATAL right behind it, common when a busy process reads late) went
 * unheard and took the control plane down when its database restarted. Every client therefore carries this listener
 * from its first moment. Nothing is lost by it: the client is marked unusable, its running or next query fails with
 * the error, and the pool discards it when it is released.
 */
const keepClientErrors = (client: ClientBase): void => {
  client.on('error', () => undefined);
};

/** The pool under Prisma (PrismaPg), its clients protected by keepClientErrors. */
export function createPool(target: PostgresTarget): Pool {
  const pool = new Pool({ connectionString: target.url });
  pool.on('connect', keepClientErrors); // emitted for each new client before anyone can acquire it
  return pool;
}

/** A single connected client, or a DatabaseUnreachableError. */
export async function connectClient(target: PostgresTarget, timeoutMs = 10_000): Promise<Client> {
  const client = new Client({ connectionString: target.url, connectionTimeoutMillis: timeoutMs });
  keepClientErrors(client);
  try {
    await client.connect();
  } catch (err) {
    // A failed connect leaves nothing open worth closing; the connect error is what matters.
    throw connectError(err, target);
  }
  return client;
}
