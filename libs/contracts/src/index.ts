import 'reflect-metadata';
export * from './topics';
export * from './profile';
export * from './messages';
export * from './validate';
export * from './signing';
export * from './eval-set';
export * from './profile-class';
