export * from './dataset';
export * from './dataset-error';
export * from './idx';
export * from './idx-dataset';
export * from './csv-dataset';
export * from './load-dataset';
export * from './fashion-mnist';
export * from './subsets';
