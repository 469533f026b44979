export * from './command-line';
export * from './prng';
