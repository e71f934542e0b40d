export * from './record-filter';
