export * from './command-line';
export * from './prng';
export * from './backoff';
export * from './http-client';
