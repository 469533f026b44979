import { InvalidInputError, isDomainError } from './errors';

/**
 * What a failure while reading a multipart upload means. The parser (busboy) reports a malformed or truncated
 * body as a plain Error ("Unexpected end of multipart data", "Malformed part header"): the client's fault, so
 * a 400. Errors that already carry a status (our domain errors, @fastify/multipart's limit errors) keep it,
 * and a system error (a `syscall`: the disk is full, a file cannot be written) stays a server error.
 */
export function multipartFailure(err: unknown): unknown {
  if (isDomainError(err) || !(err instanceof Error)) return err;
  if (typeof (err as { statusCode?: unknown }).statusCode === 'number') return err;
  if (typeof (err as NodeJS.ErrnoException).syscall === 'string') return err;
  return new InvalidInputError(`malformed multipart body: ${err.message}`);
}
