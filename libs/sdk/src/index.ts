export * from './client.js';
export * from './errors.js';
export * from './live.js';
export * from './pages.js';
export { isRepeatable, type RetryOptions } from './retrying-fetch.js';
export * from './verify-webhook.js';
