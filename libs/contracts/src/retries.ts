import type { ExecutionType } from './rest/function-triggers';

/** How a trigger's failed runs are retried (`triggerMetadata.retry`, with defaults per execution type). */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly backoff: 'exponential' | 'fixed';
  readonly delayMs: number;
}

/**
 * Defaults (issue 9): a caller waiting on an on-demand or endpoint run sees its failure and decides; runs that
 * nobody waits for (record events, schedules, webhooks, polling) are tried 3 times, 1 s then 2 s apart.
 */
export const DEFAULT_RETRY: Readonly<Record<ExecutionType, RetryPolicy>> = {
  'on-demand': { maxAttempts: 1, backoff: 'exponential', delayMs: 1000 },
  endpoint: { maxAttempts: 1, backoff: 'exponential', delayMs: 1000 },
  'event-driven': { maxAttempts: 3, backoff: 'exponential', delayMs: 1000 },
  scheduled: { maxAttempts: 3, backoff: 'exponential', delayMs: 1000 },
  webhook: { maxAttempts: 3, backoff: 'exponential', delayMs: 1000 },
  polling: { maxAttempts: 3, backoff: 'exponential', delayMs: 1000 },
};

/** The trigger's policy: its `retry` over the type's default (the validator has checked the shape). */
export function retryPolicyOf(executionType: ExecutionType, metadata: Record<string, unknown>): RetryPolicy {
  const base = DEFAULT_RETRY[executionType];
  const retry = metadata['retry'];
  if (typeof retry !== 'object' || retry === null) return base;
  const given = retry as Partial<RetryPolicy>;
  return {
    maxAttempts: typeof given.maxAttempts === 'number' ? given.maxAttempts : base.maxAttempts,
    backoff: given.backoff === 'fixed' ? 'fixed' : given.backoff === 'exponential' ? 'exponential' : base.backoff,
    delayMs: typeof given.delayMs === 'number' ? given.delayMs : base.delayMs,
  };
}

/** The wait before attempt `failedAttempt + 1`, at most one hour. */
export function retryDelayMs(policy: RetryPolicy, failedAttempt: number): number {
  const delay = policy.backoff === 'fixed' ? policy.delayMs : policy.delayMs * 2 ** Math.max(0, failedAttempt - 1);
  return Math.min(delay, 3_600_000);
}
