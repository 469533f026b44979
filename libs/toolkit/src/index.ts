export * from './command-line';
export * from './prng';
export * from './backoff';
