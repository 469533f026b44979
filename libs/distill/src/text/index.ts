export * from './text-dataset';
export * from './distill-text';
export * from './teachers';
export * from './sources/spam-assassin';
export * from './sources/udhr';
export * from './embedding-bag';
