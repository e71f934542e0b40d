export * from './hmac';
export * from './sealed-secrets';
