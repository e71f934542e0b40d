import { hostname } from 'node:os';

import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type Context, context, type Span, trace } from '@opentelemetry/api';
import { SignalboxError } from '@signalbox/contracts';
import { NatsClient } from '@signalbox/messaging';
import {
  extractTraceContext,
  MetricsService,
  QUIET_PATHS,
  REQUEST_ID_HEADER,
  requestId,
  SpanKind,
  SpanStatusCode,
  startTracing,
  TRACE_ID_OF_REQUEST,
  tracer,
  type Tracing,
} from '@signalbox/observability';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';

import type { CommonEnv } from './config/env';
import type { ServiceIdentity } from './health/service-identity';
import { ErrorEnvelopeFilter } from './http/error.filter';
import { mapError } from './http/error.mapping';
import { NatsRpcServer } from './rpc/nats-rpc.server';

export const defaultInstanceId = () => `${hostname()}-${process.pid}`;

/**
 * Creates and starts one service: Fastify HTTP server, the NATS request-reply handlers (queue group
 * = service name, on the service's NATS connection), the error envelope, request metrics, and SIGTERM/SIGINT handling that stops
 * taking work, lets in-flight work finish, drains NATS, closes the pool and exits 0.
 */
export async function runService(
  module: DynamicModule,
  identity: ServiceIdentity,
  env: CommonEnv,
  hooks: { beforeListen?: (app: NestFastifyApplication) => void | Promise<void> } = {},
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: env.HTTP_BODY_LIMIT_BYTES,
    // Slow-client protection: Node answers 408 and closes a request that does not arrive in time.
    requestTimeout: env.HTTP_REQUEST_TIMEOUT_MS,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    requestIdHeader: false,
    genReqId: requestId,
    // What the router refuses before any route runs (a path parameter over 100 characters, a URL that does not
    // decode) answers in the contract's envelope too, not Fastify's own body.
    frameworkErrors: (error: FastifyError, _request: unknown, reply: unknown) => {
      const message =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? 'a path parameter is longer than 100 characters'
          : `the request is not valid: ${error.message}`;
      const mapped = mapError(new SignalboxError('VALIDATION_ERROR', message, [{ path: ['path'], message }]));
      void (reply as FastifyReply).status(mapped.status).send(mapped.envelope);
    },
  });
  const tracing = startTracing(identity.name);
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, { bufferLogs: true });
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.useGlobalFilters(new ErrorEnvelopeFilter());

  const metrics = app.get(MetricsService);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.server.headersTimeout = Math.min(env.HTTP_HEADERS_TIMEOUT_MS, env.HTTP_REQUEST_TIMEOUT_MS);
  // Node checks those timeouts every 30 s by default, which would let a slow client hold a socket that long.
  (fastify.server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = 1000;
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  // @nestjs/platform-fastify brings its own copy of fastify's types; the instance is the same.
  if (tracing) traceRequests(fastify as unknown as FastifyInstance);
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequestDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });

  app.connectMicroservice<MicroserviceOptions>(
    { strategy: new NatsRpcServer(app.get(NatsClient), identity.name, logger) },
    { inheritAppConfig: true },
  );

  await hooks.beforeListen?.(app);
  await app.listen({ port: env.PORT, host: env.HOST });
  // NATS may be down: the request-reply handlers subscribe once the service's connection is up.
  await app.startAllMicroservices();
  logger.log(`${identity.name} ${identity.version} listening on ${env.HOST}:${env.PORT}`);

  installShutdown(app, logger, env.SHUTDOWN_TIMEOUT_MS, tracing);
  return app;
}

/**
 * A server span per HTTP request, continuing the caller's `traceparent`. It is made the active span once the body
 * is read (`preHandler`): what the handler logs, publishes or calls belongs to it.
 */
function traceRequests(fastify: FastifyInstance): void {
  const spans = new WeakMap<FastifyRequest, { span: Span; parent: Context }>();
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (QUIET_PATHS.some((path) => request.url.startsWith(path))) return done();
    const parent = extractTraceContext({ get: (key) => headerValue(request.headers[key]) });
    const span = tracer().startSpan(
      request.method,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0] },
      },
      parent,
    );
    spans.set(request, { span, parent });
    if (span.isRecording()) {
      (request.raw as { [TRACE_ID_OF_REQUEST]?: string })[TRACE_ID_OF_REQUEST] = span.spanContext().traceId;
    }
    done();
  });
  fastify.addHook('preHandler', (request, _reply, done) => {
    const entry = spans.get(request);
    if (!entry) return done();
    const route = request.routeOptions.url;
    if (route) entry.span.updateName(`${request.method} ${route}`).setAttribute('http.route', route);
    context.with(trace.setSpan(entry.parent, entry.span), done);
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    const entry = spans.get(request);
    entry?.span.setAttribute('signalbox.request.aborted', true).end();
    spans.delete(request);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const entry = spans.get(request);
    if (entry) {
      entry.span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) entry.span.setStatus({ code: SpanStatusCode.ERROR });
      entry.span.end();
    }
    done();
  });
}

/** The traces still buffered, sent within 2 s at most: a collector that is down must not fail or hold a stop. */
async function flushTraces(tracing: Tracing | null, logger: Logger): Promise<void> {
  if (!tracing) return;
  const flushed = tracing.shutdown().catch((error: unknown) => logger.warn(`traces not sent: ${String(error)}`));
  await Promise.race([flushed, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
}

const headerValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

function installShutdown(
  app: NestFastifyApplication,
  logger: Logger,
  timeoutMs: number,
  tracing: Tracing | null,
): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: finishing in-flight work, then draining NATS and closing the pool`);
    const deadline = setTimeout(() => {
      logger.error(`shutdown did not finish within ${timeoutMs} ms; exiting`);
      process.exit(1);
    }, timeoutMs);
    deadline.unref();
    app
      .close()
      .then(() => flushTraces(tracing, logger))
      .then(() => {
        logger.log('stopped cleanly');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error(`shutdown failed: ${String(error)}`);
        process.exit(1);
      });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
