import { retryDelayMs, retryPolicyOf } from './retries';

describe('retry policies', () => {
  it('defaults by execution type, and a trigger overrides field by field', () => {
    expect(retryPolicyOf('on-demand', {})).toEqual({ maxAttempts: 1, backoff: 'exponential', delayMs: 1000 });
    expect(retryPolicyOf('event-driven', {})).toMatchObject({ maxAttempts: 3 });
    expect(retryPolicyOf('on-demand', { retry: { maxAttempts: 2, delayMs: 200 } })).toEqual({
      maxAttempts: 2,
      backoff: 'exponential',
      delayMs: 200,
    });
  });

  it('backs off exponentially or by a fixed delay, at most an hour', () => {
    const exponential = retryPolicyOf('webhook', { retry: { delayMs: 500 } });
    expect([1, 2, 3].map((attempt) => retryDelayMs(exponential, attempt))).toEqual([500, 1000, 2000]);
    const fixed = retryPolicyOf('webhook', { retry: { backoff: 'fixed', delayMs: 500 } });
    expect([1, 2, 3].map((attempt) => retryDelayMs(fixed, attempt))).toEqual([500, 500, 500]);
    expect(retryDelayMs(exponential, 30)).toBe(3_600_000);
  });
});
