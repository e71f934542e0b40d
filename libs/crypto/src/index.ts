export * from './hmac';
export * from './sealed-secrets';
export * from './webhook-signatures';
