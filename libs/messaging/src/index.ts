export * from './durable-consumer';
export * from './kv-mirror';
export * from './nats.client';
export * from './pull-consumer';
export * from './request-service';
export * from './run-quota';
export * from './topology';
export * from './triggered-run';
