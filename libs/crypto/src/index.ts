export * from './hmac';
export * from './outbound-signatures';
export * from './sealed-secrets';
export * from './secret-tree';
export * from './webhook-signatures';
