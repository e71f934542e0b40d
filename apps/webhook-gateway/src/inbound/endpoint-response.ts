import { type ErrorCode, ErrorCodes, type ErrorEnvelope } from '@signalbox/contracts';

/** What an endpoint trigger's caller receives. */
export interface EndpointResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const RESPONSE_KEYS = new Set(['status', 'headers', 'body']);
/** RFC 9110 token: what Node accepts as a header name. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What Node accepts in a header value (no CR, LF or NUL). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/**
 * Headers the HTTP layer owns: a function cannot set them. `set-cookie` too: every workspace's endpoints share
 * the gateway's origin, so a cookie one tenant's function set would go with requests to every other's.
 */
const RESERVED_HEADERS = new Set([
  'connection',
  'content-length',
  'keep-alive',
  'proxy-connection',
  'set-cookie',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'x-signalbox-job-id',
]);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A result shapes the response when it is exactly `{ status, headers?, body? }` with an integer status from
 * 200 to 599. Anything else, `{ status: 'ok' }` included, is data: 200 with the result as JSON.
 */
export function isResponseShape(result: unknown): result is { status: number; headers?: unknown; body?: unknown } {
  if (!isPlainObject(result)) return false;
  const status = result['status'];
  return (
    Number.isInteger(status) &&
    (status as number) >= 200 &&
    (status as number) <= 599 &&
    Object.keys(result).every((key) => RESPONSE_KEYS.has(key))
  );
}

/** The HTTP response for a completed run's result. */
export function responseFromResult(result: unknown): EndpointResponse {
  if (!isResponseShape(result)) {
    return { status: 200, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(result ?? null) };
  }
  const headers = sanitizeHeaders(result.headers);
  const noBody = result.status === 204 || result.status === 304;
  if (noBody || result.body === undefined || result.body === null) {
    return { status: result.status, headers, body: '' };
  }
  const isText = typeof result.body === 'string';
  headers['content-type'] ??= isText ? TEXT_TYPE : JSON_TYPE;
  return { status: result.status, headers, body: isText ? (result.body as string) : JSON.stringify(result.body) };
}

/**
 * The function's headers, lower-cased; values may be strings, numbers, booleans or lists of them. Names or
 * values that HTTP cannot carry, and the headers the HTTP layer owns, are dropped rather than failing the call.
 */
export function sanitizeHeaders(input: unknown): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!isPlainObject(input)) return out;
  const asText = (value: unknown): string | null =>
    (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') &&
    HEADER_VALUE.test(String(value))
      ? String(value)
      : null;
  for (const [rawName, value] of Object.entries(input)) {
    const name = rawName.toLowerCase();
    if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name)) continue;
    if (Array.isArray(value)) {
      const values = value.map(asText).filter((text): text is string => text !== null);
      if (values.length > 0) out[name] = values;
    } else {
      const text = asText(value);
      if (text !== null) out[name] = text;
    }
  }
  return out;
}

/** The contract's error envelope as a response, with the run's id when there is one. */
export function errorResponse(
  code: ErrorCode,
  message: string,
  extra: { jobId?: string; headers?: Record<string, string> } = {},
): EndpointResponse {
  const envelope: ErrorEnvelope & { jobId?: string } = {
    success: false,
    error: { code, message },
    ...(extra.jobId ? { jobId: extra.jobId } : {}),
  };
  return {
    status: ErrorCodes[code],
    headers: { 'content-type': JSON_TYPE, ...extra.headers },
    body: JSON.stringify(envelope),
  };
}
