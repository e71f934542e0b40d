export * from './database';
export * from './processes';
export * from './service-process';
export * from './tokens';
