import { SignalboxError } from './errors.js';

export interface RetryOptions {
  /** Retries after the first attempt (default 3). 0 turns retrying off. */
  readonly retries?: number;
  /** The longest wait before a retry, whatever `Retry-After` says (default 30 s). */
  readonly maxDelayMs?: number;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether sending `request` again cannot do its work twice: a read, or a request that carries an
 * `Idempotency-Key` (the server answers a repeat with the first result). Not a PUT or DELETE: a repeat of one
 * that got through makes another version, or answers 404 to a delete that worked. A 429 is retried whatever
 * the method: the server refused it before doing anything.
 */
export const isRepeatable = (request: Request): boolean =>
  READS.has(request.method) || request.headers.has('idempotency-key');

/** `Retry-After` in milliseconds (seconds or an HTTP date), or undefined. */
export function retryAfterMs(response: Response, now = Date.now()): number | undefined {
  const value = response.headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const abort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', abort, { once: true });
  });
}

/**
 * A fetch that retries what is safe to retry: 429 always (after `Retry-After`, unless that is longer than
 * `maxDelayMs`: then the 429 is the answer), and 503 or a lost connection when the request is repeatable (see
 * `isRepeatable`). Other answers are returned as they are. An abort ends the waiting at once.
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
        if (request.signal?.aborted) throw error;
        if (last || !isRepeatable(request)) {
          const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
          const message = `${request.method} ${request.url}: ${String(error)}${cause}`;
          throw new SignalboxError({ status: 0, code: 'NETWORK_ERROR', message, cause: error });
        }
        await sleep(backoff, request.signal);
        continue;
      }
      const retry = response.status === 429 || (response.status === 503 && isRepeatable(request));
      const wait = retryAfterMs(response) ?? backoff;
      if (!retry || last || wait > maxDelayMs) return response;
      await response.body?.cancel();
      await sleep(wait, request.signal);
    }
  };
}
