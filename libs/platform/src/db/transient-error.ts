import { isRetryableConflict } from './unit-of-work';

/**
 * Whether a database error says "try again later" rather than "this is wrong": the server or the connection is
 * away (refused, reset, terminated, shutting down, starting up), the pool timed out, or the transaction lost a
 * deadlock / serialization conflict. Validation and constraint errors (and everything unknown) are permanent.
 * Prisma wraps driver errors (adapter-pg, PGlite) in its own classes; the whole `cause` chain is read.
 */
export function isTransientDatabaseError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (typeof e !== 'object') break;
    if (isRetryableConflict(e)) return true;
    const name = (e as { name?: unknown }).name;
    if (name === 'PrismaClientInitializationError' || name === 'PrismaClientRustPanicError') return true;
    for (const key of ['code', 'originalCode', 'kind'] as const) {
      const code = (e as Record<string, unknown>)[key];
      if (typeof code === 'string' && TRANSIENT_CODES.test(code)) return true;
    }
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && TRANSIENT_MESSAGES.test(message)) return true;
  }
  return false;
}

/**
 * Prisma: P1001 can't reach, P1002 timed out, P1008 operation timeout, P1017 server closed the connection, P2024
 * pool timeout, P2034 write conflict / deadlock. PostgreSQL SQLSTATE: class 08 connection exception, 40001 / 40P01,
 * 53300 too many connections, 57P01–57P03 shutdown / cannot connect now. Node socket errors. Driver-adapter kinds.
 */
const TRANSIENT_CODES = /^(P1001|P1002|P1008|P1017|P2024|P2034|08\w{3}|40001|40P01|53300|57P0[123]|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ConnectionClosed|DatabaseNotReachable|SocketTimeout|TransactionWriteConflict|TooManyConnections)$/;
const TRANSIENT_MESSAGES =
  /Connection terminated|connection (?:is )?closed|Can't reach database server|timeout exceeded when trying to connect|Timed out fetching a new connection|terminating connection due to administrator command|the database system is (?:starting up|shutting down)|Client has encountered a connection error|ECONNREFUSED|ECONNRESET|Transaction already closed|Transaction API error/i;
