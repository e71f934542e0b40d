import { trace } from '@opentelemetry/api';

import { loggerParams } from './logger.options';
import {
  activeTraceId,
  extractTraceContext,
  injectTraceContext,
  inSpan,
  startTracing,
  type Tracing,
  tracingEnabled,
  tracingWanted,
} from './tracing';

describe('tracing off (not started)', () => {
  it('adds no header, makes no span and names no trace', async () => {
    const carrier = new Map<string, string>();
    const seen = await inSpan('work', {}, (span) => {
      injectTraceContext({ set: (key, value) => carrier.set(key, value) });
      return Promise.resolve({ recording: span.isRecording(), traceId: activeTraceId() });
    });
    expect(tracingEnabled()).toBe(false);
    expect(carrier.size).toBe(0);
    expect(seen).toEqual({ recording: false, traceId: undefined });
  });
});

describe('tracingWanted', () => {
  it('is on only with an OTLP endpoint set, and off when the SDK is disabled', () => {
    expect(tracingWanted({})).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' })).toBe(
      false,
    );
  });
});

describe('spans, propagation and log lines with tracing on', () => {
  let tracing: Tracing | null;
  const ended: Array<{ name: string; parent: string | undefined; status: number }> = [];

  beforeAll(() => {
    // On: spans are made and propagated, and handed to this span processor (the e2e suite exports them over OTLP).
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://127.0.0.1:4318';
    tracing = startTracing('spec', {
      spanProcessors: [
        {
          onStart: () => undefined,
          onEnd: (span) =>
            ended.push({ name: span.name, parent: span.parentSpanContext?.spanId, status: span.status.code }),
          forceFlush: () => Promise.resolve(),
          shutdown: () => Promise.resolve(),
        },
      ],
    });
  });

  afterAll(async () => {
    await tracing?.shutdown();
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  });

  it('carries the active span in traceparent, and reads it back as the parent of the next hop', async () => {
    const carrier = new Map<string, string>();
    const outer = await inSpan('publish', {}, (span) => {
      injectTraceContext({ set: (key, value) => carrier.set(key, value) });
      return Promise.resolve(span.spanContext());
    });

    expect(carrier.get('traceparent')).toBe(`00-${outer.traceId}-${outer.spanId}-01`);
    const parent = extractTraceContext({ get: (key) => carrier.get(key) });
    const inner = await inSpan('consume', { parent }, (span) => Promise.resolve(span.spanContext()));
    expect(inner.traceId).toBe(outer.traceId);
    expect(ended.find((span) => span.name === 'consume')?.parent).toBe(outer.spanId);
  });

  it('names the trace in log lines written inside a span, and nothing outside one', async () => {
    const mixin = (
      loggerParams({ service: 's', version: '1', instanceId: 'i', level: 'info' }).pinoHttp as {
        mixin: () => Record<string, unknown>;
      }
    ).mixin;
    expect(mixin()).toEqual({});
    const inside = await inSpan('work', {}, (span) =>
      Promise.resolve({ line: mixin(), traceId: span.spanContext().traceId, active: activeTraceId() }),
    );
    expect(inside.line).toEqual({ traceId: inside.traceId });
    expect(inside.active).toBe(inside.traceId);
    expect(activeTraceId()).toBeUndefined();
  });

  it('marks a span failed when its work throws, and throws on', async () => {
    let failed: unknown;
    await expect(
      inSpan('broken', {}, (span) => {
        failed = span;
        return Promise.reject(new Error('boom'));
      }),
    ).rejects.toThrow('boom');
    expect(failed).toBeDefined();
    expect(ended.find((span) => span.name === 'broken')?.status).toBe(2); // SpanStatusCode.ERROR
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it('ignores a traceparent that is not one', () => {
    const context = extractTraceContext({ get: () => 'not-a-traceparent' });
    expect(trace.getSpanContext(context)).toBeUndefined();
  });
});
