export * from './health.registry';
export * from './logger.options';
export * from './metrics.service';
export * from './tracing';
