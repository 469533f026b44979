import { ConsoleLogger, LogLevel as NestLogLevel } from '@nestjs/common';
import type { LogLevel } from '../config/app-config';

const NEST_LEVELS: Record<LogLevel, NestLogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  verbose: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/** Nest's start-up chatter (every module and route): useful when debugging, noise on a normal start. */
const WIRING_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory']);

/** Nest's console logger at LOG_LEVEL, with the wiring lines moved down to `debug`. */
export class AppLogger extends ConsoleLogger {
  private readonly wiring: boolean;

  constructor(level: LogLevel) {
    super({ logLevels: NEST_LEVELS[level] });
    this.wiring = level === 'debug' || level === 'verbose';
  }

  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (!this.wiring && typeof context === 'string' && WIRING_CONTEXTS.has(context)) return;
    super.log(message, ...(rest as [string?]));
  }
}
