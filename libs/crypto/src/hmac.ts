import { createHmac, timingSafeEqual } from 'node:crypto';

/** Constant-time comparison of two strings or buffers; false (not a throw) when lengths differ. */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const left = typeof a === 'string' ? Buffer.from(a) : Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const right = typeof b === 'string' ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (left.length !== right.length) {
    // Compare against itself so the time spent does not depend on where the inputs differ.
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

export type HmacEncoding = 'hex' | 'base64';

/** HMAC-SHA256 of the exact bytes given. */
export function hmacSha256(secret: string | Uint8Array, payload: string | Uint8Array, encoding: HmacEncoding): string {
  return createHmac('sha256', secret).update(payload).digest(encoding);
}

/** Verifies an HMAC-SHA256 signature in constant time. */
export function verifyHmacSha256(
  secret: string | Uint8Array,
  payload: string | Uint8Array,
  signature: string,
  encoding: HmacEncoding,
): boolean {
  return constantTimeEqual(hmacSha256(secret, payload, encoding), signature);
}
