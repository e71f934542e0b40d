export * from './record-filter';
export * from './user-regex';
export * from './user-schema';
