import { type ErrorCode, SignalboxError } from './errors';

/**
 * What a durable consumer does with a message once its handler is done:
 * - `ack`: done, never delivered again;
 * - `retry`: nak; JetStream delivers it again (to any replica) after `delayMs`;
 * - `term`: the message itself can never be handled; it is removed and the reason logged.
 *
 * Handlers return one; the consumer loop (`@signalbox/messaging`'s `settle`) carries it out.
 */
export type Disposition =
  | { readonly kind: 'ack' }
  | { readonly kind: 'retry'; readonly delayMs: number }
  | { readonly kind: 'term'; readonly reason: string };

const ACK: Disposition = { kind: 'ack' };

export const Dispositions = {
  ack: (): Disposition => ACK,
  /** Again after `delayMs` (a backoff, a lease that may lapse, a busy endpoint). */
  retry: (delayMs: number): Disposition => ({ kind: 'retry', delayMs }),
  term: (reason: string): Disposition => ({ kind: 'term', reason }),
} as const;

/**
 * Error codes that say the message itself is wrong: delivering it again cannot change the answer, so it is
 * terminated. Every other error (a database or NATS that is down, a timeout, a quota, a bug) leaves the message
 * for a later delivery: accepted work is never dropped because of where it was when something failed.
 */
const PERMANENT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'VALIDATION_ERROR',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
]);

/**
 * The disposition of a message whose handler threw: terminated when the error's code is one of the permanent
 * ones above, else retried after the consumer's `retryAfterErrorMs` (its `ConsumerSpec`).
 */
export function dispositionOfError(error: unknown, retryAfterErrorMs: number): Disposition {
  if (error instanceof SignalboxError && PERMANENT_CODES.has(error.code)) {
    return Dispositions.term(`${error.code}: ${error.message}`);
  }
  return Dispositions.retry(retryAfterErrorMs);
}
