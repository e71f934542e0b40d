import { randomUUID } from 'node:crypto';

import { HttpException } from '@nestjs/common';
import { type ErrorBody, type ErrorCode, ErrorCodes, type ErrorEnvelope, SignalboxError } from '@signalbox/contracts';

export interface MappedError {
  readonly status: number;
  readonly envelope: ErrorEnvelope;
  /** Set for unexpected errors: the caller sees only the id, the log keeps the cause. */
  readonly cause?: unknown;
}

/** Fastify's own errors (body parsing, limits) that reach us before any handler runs. */
const FASTIFY_ERRORS: Readonly<Record<string, { code: ErrorCode; message: string }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'VALIDATION_ERROR', message: 'request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'VALIDATION_ERROR',
    message: "request body is empty but Content-Type is 'application/json'",
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', message: 'request body is larger than the limit' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'unsupported Content-Type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'VALIDATION_ERROR', message: 'Content-Length does not match the body' },
};

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'VALIDATION_ERROR';
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'FORBIDDEN';
    case 404:
    case 405:
      return 'NOT_FOUND';
    case 409:
      return 'CONFLICT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 429:
      return 'RATE_LIMITED';
    case 503:
      return 'SERVICE_UNAVAILABLE';
    default:
      return status >= 400 && status < 500 ? 'VALIDATION_ERROR' : 'INTERNAL';
  }
}

const envelope = (error: ErrorBody): ErrorEnvelope => ({ success: false, error });

function httpExceptionMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/** One mapping from anything thrown to the contract's envelope. */
export function mapError(exception: unknown): MappedError {
  if (exception instanceof SignalboxError) {
    return {
      status: ErrorCodes[exception.code],
      envelope: envelope({
        code: exception.code,
        message: exception.message,
        ...(exception.details ? { details: exception.details } : {}),
      }),
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code = codeForStatus(status);
    if (code !== 'INTERNAL') {
      return { status, envelope: envelope({ code, message: httpExceptionMessage(exception) }) };
    }
  }
  const fastifyCode = (exception as { code?: unknown } | null)?.code;
  if (typeof fastifyCode === 'string' && FASTIFY_ERRORS[fastifyCode]) {
    const known = FASTIFY_ERRORS[fastifyCode];
    return { status: ErrorCodes[known.code], envelope: envelope(known) };
  }
  const statusCode = (exception as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const message = exception instanceof Error ? exception.message : 'bad request';
    return { status: statusCode, envelope: envelope({ code: codeForStatus(statusCode), message }) };
  }
  const errorId = randomUUID();
  return {
    status: 500,
    envelope: envelope({ code: 'INTERNAL', message: 'internal error', errorId }),
    cause: exception,
  };
}
