/** Error codes of the one error envelope (api-contract.md). Never rename a value. */
export const ErrorCodes = {
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  INVALID_STATUS: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  /** A workspace quota (runs in flight, schedules) is used up; the message says which and what to do. */
  QUOTA_EXCEEDED: 429,
  INTERNAL: 500,
  /** An endpoint trigger's function threw: the run records the error. */
  FUNCTION_FAILED: 500,
  SERVICE_UNAVAILABLE: 503,
  /** An endpoint trigger's function ran out of time, or its trigger's deadline passed (`timeoutResponse`). */
  GATEWAY_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface ErrorDetail {
  readonly path: ReadonlyArray<string | number>;
  readonly message: string;
}

export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: readonly ErrorDetail[];
  /** Set on INTERNAL errors: the id under which the cause was logged. */
  readonly errorId?: string;
}

export interface ErrorEnvelope {
  readonly success: false;
  readonly error: ErrorBody;
}

/**
 * A domain error: thrown by services (never an HTTP exception), mapped to the envelope by the HTTP
 * filter and to ack/term/nak by message consumers.
 */
export class SignalboxError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: readonly ErrorDetail[],
  ) {
    super(message);
    this.name = 'SignalboxError';
  }
}
