export * from './database';
export * from './micro-batcher';
export * from './storable';
