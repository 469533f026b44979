export * from './dtype';
export * from './errors';
export * from './graph-builder';
export * from './model-info';
