export * from './config-buckets';
export * from './database';
export * from './nats-cluster';
export * from './platform';
export * from './processes';
export * from './service-process';
export * from './tokens';
