// The package's public surface: everything a service module exports.
export * from './distillation-worker.module';
export * from './distillation-worker.service';
export * from './distillation.config';
export * from './distillation.dto';
export * from './distillation.publisher';
export * from './distillation.queue';
export * from './distillation.runner';
export * from './distillation.types';
