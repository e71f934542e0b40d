import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { NodeSDK as NodeSDKType, NodeSDKConfiguration } from '@opentelemetry/sdk-node';

/**
 * OpenTelemetry traces, off unless the operator sets the standard OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), and `OTEL_SDK_DISABLED` is not `true`. Every other `OTEL_*` setting
 * (protocol, headers, sampler, resource attributes, batch sizes) is the SDK's own. Off, nothing of the SDK is
 * loaded, and the spans below are the API's no-ops.
 */
export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return (
    env.OTEL_SDK_DISABLED !== 'true' &&
    Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
  );
}

/** Set once the SDK started: until then every helper below returns at once (tracing off costs nothing). */
let enabled = false;

export interface Tracing {
  /** Sends the spans still buffered (rejects when the collector refuses them). */
  shutdown(): Promise<void>;
}

/** Starts the SDK for this service when tracing is wanted: traces only (metrics stay Prometheus, logs pino). */
export function startTracing(service: string, sdkOptions: Partial<NodeSDKConfiguration> = {}): Tracing | null {
  if (!tracingWanted()) return null;
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  // W3C trace context only: the SDK's default adds `baggage`, which any caller (a public inbound webhook) could fill
  // and every message would then carry on.
  process.env.OTEL_PROPAGATORS ??= 'tracecontext';
  // Loaded only when tracing is on: the SDK alone is about 30 MB of memory and 0.1 s of start-up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { NodeSDK } = require('@opentelemetry/sdk-node') as { NodeSDK: typeof NodeSDKType };
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? service,
    instrumentations: [],
    ...sdkOptions, // a test's own span processor
  });
  sdk.start();
  enabled = true;
  return sdk;
}

export const tracer = () => trace.getTracer('signalbox');

/** Whether spans are being made (see `startTracing`). */
export const tracingEnabled = () => enabled;

/** A carrier of W3C trace context: NATS headers, HTTP headers. */
export interface TraceCarrier {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

/** Writes the active span's context (`traceparent`, `tracestate`) into a carrier: nothing when no span is active. */
export function injectTraceContext(carrier: Pick<TraceCarrier, 'set'>, active: Context = context.active()): void {
  if (!enabled) return;
  propagation.inject(active, carrier, { set: (target, key, value) => target.set(key, value) });
}

/** The context a carrier's `traceparent` names (the root context when it names none, or an invalid one). */
export function extractTraceContext(carrier: Pick<TraceCarrier, 'get'>): Context {
  if (!enabled) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier, {
    get: (target, key) => target.get(key),
    keys: () => ['traceparent', 'tracestate'],
  });
}

/**
 * Runs `work` inside a new span (a child of `parent`, else of the active span; with `root`, the first span of a new
 * trace), ends it when `work` settles, and marks it failed when `work` throws.
 */
export async function inSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context; root?: boolean; startTime?: number },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  if (!enabled) return work(trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
  const parent = options.root ? ROOT_CONTEXT : (options.parent ?? context.active());
  const span = tracer().startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, startTime: options.startTime },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Records a span for work timed elsewhere (a sandbox worker process, which has no SDK): a child of the active span,
 * with the times given (epoch milliseconds).
 */
export function recordSpan(
  name: string,
  timing: { kind?: SpanKind; attributes?: Attributes; startMs: number; endMs: number; failed?: boolean },
): void {
  if (!enabled) return;
  const span = tracer().startSpan(
    name,
    { kind: timing.kind ?? SpanKind.INTERNAL, attributes: timing.attributes, startTime: timing.startMs },
    context.active(),
  );
  if (timing.failed) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end(timing.endMs);
}

/**
 * Runs `work` outside any trace: for work done on behalf of other units of work (a run admitted when another one
 * freed its slot), whose messages must not join the trace that happened to free it.
 */
export function outsideTrace<T>(work: () => T): T {
  return enabled ? context.with(ROOT_CONTEXT, work) : work();
}

/**
 * The active span's `traceparent`, for work stored to be carried on later (an outbox entry); undefined when no span
 * is active (tracing off).
 */
export function activeTraceparent(): string | undefined {
  if (!enabled) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier['traceparent'];
}

/**
 * Runs `work` inside the trace a stored `traceparent` names (see `activeTraceparent`); `null`: outside any trace;
 * `undefined`: in the active one.
 */
export function withTraceparent<T>(traceparent: string | null | undefined, work: () => T): T {
  if (!enabled || traceparent === undefined) return work();
  if (traceparent === null) return context.with(ROOT_CONTEXT, work);
  return context.with(extractTraceContext({ get: (key) => (key === 'traceparent' ? traceparent : undefined) }), work);
}

/** The trace id of the active span, for logs and records; undefined when none is active (tracing off). */
export function activeTraceId(): string | undefined {
  if (!enabled) return undefined;
  const span = trace.getSpan(context.active());
  const id = span?.spanContext().traceId;
  return id && span.isRecording() ? id : undefined;
}

export { SpanKind, SpanStatusCode };
