import type { AppConfig } from '@edgefleet/platform';

/** The HTTP port could not be bound. */
export class HttpPortInUseError extends Error {
  override name = 'HttpPortInUseError';
  constructor(readonly host: string, readonly port: number) {
    super(`HTTP port ${port} on ${host} is already in use: set PORT to a free port (0 = any free port)`);
  }
}

/** Turns a listen error into HttpPortInUseError when that is what it is. */
export function asHttpListenError(err: unknown, config: AppConfig): unknown {
  return (err as NodeJS.ErrnoException)?.code === 'EADDRINUSE' ? new HttpPortInUseError(config.host, config.port) : err;
}

/**
 * Errors an operator fixes without reading a stack trace (bad config, port taken, database unreachable or
 * locked): their message is printed as is. Matched by class name along the prototype chain (every error of
 * libs/db extends DatabaseError), so this module does not depend on those packages' internals.
 */
const OPERATOR_ERRORS = new Set(['ConfigError', 'HttpPortInUseError', 'MqttPortInUseError', 'MqttBrokerStartError', 'MqttConnectError', 'DatabaseError']);

export function isOperatorError(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  for (let proto = Object.getPrototypeOf(err); proto && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
    if (OPERATOR_ERRORS.has((proto as { constructor: { name: string } }).constructor.name)) return true;
  }
  return OPERATOR_ERRORS.has(err.name);
}
