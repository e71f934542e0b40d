export * from './database';
export * from './micro-batcher';
