/** One problem with a request, where it is (`["triggerMetadata", "cron"]`) and what is wrong. */
export interface ErrorDetail {
  readonly path: ReadonlyArray<string | number>;
  readonly message: string;
}

/**
 * Every failure the SDK reports: the server's error envelope, typed (`status`, `code`, `message`, `details`,
 * `errorId`), or, with `status` 0, a request that never got an answer (`NETWORK_ERROR`) or a wait that ran out
 * (`WAIT_TIMEOUT`).
 */
export class SignalboxError extends Error {
  override readonly name = 'SignalboxError';
  readonly status: number;
  readonly code: string;
  readonly details: readonly ErrorDetail[];
  readonly errorId: string | undefined;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    details?: readonly ErrorDetail[];
    errorId?: string;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? [];
    this.errorId = init.errorId;
  }

  /** The error of an answer that is not 2xx: its envelope when it has one, else its status line. */
  static fromAnswer(response: Response, body: unknown): SignalboxError {
    const error = isEnvelope(body) ? body.error : null;
    if (error) return new SignalboxError({ status: response.status, ...error });
    const text = typeof body === 'string' && body ? `: ${body.slice(0, 200)}` : '';
    const message = `${response.status} ${response.statusText}${text}`;
    return new SignalboxError({ status: response.status, code: `HTTP_${response.status}`, message });
  }
}

interface Envelope {
  error: { code: string; message: string; details?: ErrorDetail[]; errorId?: string };
}

function isEnvelope(body: unknown): body is Envelope {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error = body.error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}
