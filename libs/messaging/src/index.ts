export * from './nats.client';
export * from './topology';
