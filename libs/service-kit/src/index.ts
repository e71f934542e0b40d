export * from './bootstrap';
export * from './config/env';
export * from './health/service-identity';
export * from './health/service-status.service';
export * from './http/error.filter';
export * from './http/error.mapping';
export * from './http/schema.pipe';
export * from './service-kit.module';
