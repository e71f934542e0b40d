import { SignalboxError } from './errors.js';

export interface RetryOptions {
  /** Retries after the first attempt (default 3). 0 turns retrying off. */
  readonly retries?: number;
  /** The longest wait before a retry, whatever `Retry-After` says (default 30 s). */
  readonly maxDelayMs?: number;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * Whether sending `request` again cannot do its work twice: a read, a PUT or DELETE (idempotent by HTTP's
 * rules and by this API's), or a POST that carries an `Idempotency-Key` (the server answers a repeat with the
 * first result). A 429 is retried whatever the method: the server refused it before doing anything.
 */
export const isRepeatable = (request: Request): boolean =>
  SAFE_METHODS.has(request.method) || request.headers.has('idempotency-key');

/** `Retry-After` in milliseconds (seconds or an HTTP date), or undefined. */
export function retryAfterMs(response: Response, now = Date.now()): number | undefined {
  const value = response.headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A fetch that retries what is safe to retry: 429 always (after `Retry-After`), and 503 or a lost connection
 * when the request is repeatable (see `isRepeatable`). Other answers are returned as they are.
 */
export function retryingFetch(
  inner: typeof fetch,
  options: RetryOptions = {},
): (request: Request) => Promise<Response> {
  const retries = options.retries ?? 3;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  return async (request) => {
    for (let attempt = 0; ; attempt++) {
      const backoff = Math.min(maxDelayMs, 250 * 2 ** attempt * (0.5 + Math.random()));
      const last = attempt >= retries;
      let response: Response;
      try {
        response = await inner(last ? request : request.clone());
      } catch (error) {
        if (last || !isRepeatable(request) || request.signal?.aborted) {
          throw new SignalboxError(
            0,
            'NETWORK_ERROR',
            `${request.method} ${request.url}: ${String(error)}`,
            [],
            undefined,
            {
              cause: error,
            },
          );
        }
        await sleep(backoff);
        continue;
      }
      const retry = response.status === 429 || (response.status === 503 && isRepeatable(request));
      if (!retry || last) return response;
      await response.body?.cancel();
      await sleep(Math.min(maxDelayMs, retryAfterMs(response) ?? backoff));
    }
  };
}
