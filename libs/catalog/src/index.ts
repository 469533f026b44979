// The package's public surface: everything a service module exports.
export * from './datasets/dataset-upload.reader';
export * from './datasets/dataset.files';
export * from './datasets/dataset.repository';
export * from './datasets/dataset.service';
export * from './datasets/dataset.types';
export * from './datasets/datasets-core.module';
export * from './datasets/gzip-bounds';
export * from './models/model.inspector';
export * from './models/model.repository';
export * from './models/models-core.module';
