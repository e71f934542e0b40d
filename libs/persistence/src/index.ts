export * from './daily-partitions';
export * from './database';
export * from './micro-batcher';
export * from './outbox';
export * from './storable';
export * from './workspace-usage';
