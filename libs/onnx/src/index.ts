export * from './dtype';
export * from './errors';
export * from './graph-builder';
export * from './model-info';
export * from './quantize';
export * from './macs';
export * from './metadata';
