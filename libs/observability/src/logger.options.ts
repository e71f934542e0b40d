import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import { CREDENTIAL_LOOKING_NAME } from '@signalbox/contracts';
import type { Params } from 'nestjs-pino';

import { activeTraceId } from './tracing';

export interface LoggerSettings {
  readonly service: string;
  readonly version: string;
  readonly instanceId: string;
  readonly level: string;
}

/** Header that carries the request/trace id in and out. */
export const REQUEST_ID_HEADER = 'x-request-id';
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-request-id` when it is a sane token, a fresh UUID otherwise. */
export function requestId(req: IncomingMessage): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** Paths that are polled by probes and scrapers: not worth a log line or a span each. */
export const QUIET_PATHS = ['/health/', '/metrics'];

/** Credentials and secrets never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** pino JSON logs, one line per request, each with the request id (echoed back in `x-request-id`). */
/** The URL with the values of credential-looking query parameters (`?token=`, `?api_key=`) as `[redacted]`. */
export function redactQuery(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const params = new URLSearchParams(url.slice(at + 1));
  let redacted = false;
  for (const name of new Set(params.keys())) {
    if (CREDENTIAL_LOOKING_NAME.test(name)) {
      params.set(name, '[redacted]');
      redacted = true;
    }
  }
  return redacted ? `${url.slice(0, at)}?${params.toString()}` : url;
}

/** Where the HTTP server span leaves its trace id on the Node request, for the request's log line. */
export const TRACE_ID_OF_REQUEST = Symbol('signalbox.traceId');

const withRequestTraceId = (req: IncomingMessage, fields: object) => {
  const traceId = (req as IncomingMessage & { [TRACE_ID_OF_REQUEST]?: string })[TRACE_ID_OF_REQUEST];
  return traceId ? { ...fields, traceId } : fields;
};

export function loggerParams(settings: LoggerSettings): Params {
  return {
    pinoHttp: {
      level: settings.level,
      base: { service: settings.service, version: settings.version, instance: settings.instanceId },
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      // With tracing on, every line written inside a traced unit of work names its trace: logs and traces join.
      mixin: () => {
        const traceId = activeTraceId();
        return traceId ? { traceId } : {};
      },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // Fastify assigns the id (see requestId) and pino-http reuses it; this covers requests Fastify did not see.
      genReqId: (req: IncomingMessage) => requestId(req),
      // Under Nest's middleware layer req.url may be rewritten; originalUrl is the path the client asked for.
      autoLogging: {
        ignore: (req) => {
          const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '';
          return QUIET_PATHS.some((path) => url.startsWith(path));
        },
      },
      // The request's own line is written once the response is sent, outside its span: the trace id the server span
      // left on the request (`TRACE_ID_OF_REQUEST`) names its trace.
      customSuccessObject: (req: IncomingMessage, _res: unknown, fields: object) => withRequestTraceId(req, fields),
      customErrorObject: (req: IncomingMessage, _res: unknown, _error: Error, fields: object) =>
        withRequestTraceId(req, fields),
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: redactQuery(req.url),
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
  };
}
