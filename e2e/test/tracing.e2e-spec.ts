import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import {
  type ComputeFunction,
  type DeliveryList,
  type FunctionRun,
  type FunctionTrigger,
  Subjects,
  type Webhook,
} from '@signalbox/contracts';
import { Platform, sleep, testToken, waitFor } from '@signalbox/testing';

import { ApiClient } from './support/http';
import { Receiver } from './support/receiver';

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
}
interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly attributes: Record<string, string | number | boolean | undefined>;
}

/** An OTLP/HTTP trace receiver (JSON encoding), as a collector would be: it keeps every span it is sent. */
class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<OtlpReceiver> {
    const holder: { receiver?: OtlpReceiver } = {};
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        if (request.url === '/v1/traces') holder.receiver?.take(body);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    holder.receiver = new OtlpReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return holder.receiver;
  }

  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private take(body: string): void {
    type Attribute = { key: string; value: OtlpValue };
    const request = JSON.parse(body) as {
      resourceSpans?: Array<{
        resource?: { attributes?: Attribute[] };
        scopeSpans?: Array<{
          spans?: Array<{
            traceId: string;
            spanId: string;
            parentSpanId?: string;
            name: string;
            attributes?: Attribute[];
          }>;
        }>;
      }>;
    };
    const valueOf = (value: OtlpValue) =>
      value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : value.boolValue);
    const record = (attributes: Attribute[] = []) =>
      Object.fromEntries(attributes.map(({ key, value }) => [key, valueOf(value)]));
    for (const resource of request.resourceSpans ?? []) {
      const service = String(record(resource.resource?.attributes)['service.name'] ?? '');
      for (const scope of resource.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          this.spans.push({
            service,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            name: span.name,
            attributes: record(span.attributes),
          });
        }
      }
    }
  }
}

/** One connected trace: every span's parent is the caller's own span or another span of the trace. */
function expectConnected(spans: readonly ReceivedSpan[], callerSpanId: string): void {
  const ids = new Set([callerSpanId, ...spans.map((span) => span.spanId)]);
  for (const span of spans) {
    expect({ span: span.name, parentKnown: ids.has(span.parentSpanId) }).toEqual({
      span: span.name,
      parentKnown: true,
    });
  }
}

/**
 * Traces with tracing on (the standard OTEL_* settings): the platform exports OTLP/HTTP to a receiver in this test.
 * A record event published with the publisher's own `traceparent` is followed, as one trace, through routing, the
 * queue, the run and the outbound delivery it causes.
 */
describe('traces', () => {
  let platform: Platform;
  let api: ApiClient;
  let otlp: OtlpReceiver;
  let receiver: Receiver;
  const token = testToken({ workspaces: ['acme'], permissions: ['*'], subject: 'alice' });

  /**
   * The spans of a trace once `complete` says all are in: each service exports its own batches, so the spans of one
   * trace arrive in any order.
   */
  const traceOnce = (traceId: string, complete: (names: string[]) => boolean, what: string) =>
    waitFor(
      () => {
        const found = otlp.trace(traceId);
        return Promise.resolve(complete(found.map((span) => `${span.service}: ${span.name}`)) ? found : undefined);
      },
      20_000,
      what,
    );
  const including = (wanted: string[]) => (names: string[]) => wanted.every((name) => names.includes(name));

  /** A function and one trigger of it. */
  const functionWithTrigger = async (
    name: string,
    code: string,
    executionType: FunctionTrigger['executionType'],
    triggerMetadata: Record<string, unknown>,
  ) => {
    const fn = await api.post<ComputeFunction>('/compute-functions', { name, code });
    expect(fn.status).toBe(201);
    const trigger = await api.post<FunctionTrigger>('/function-triggers', {
      name,
      functionId: fn.body.id,
      executionType,
      triggerMetadata,
    });
    expect(trigger.status).toBe(201);
    return { fn: fn.body, trigger: trigger.body };
  };

  beforeAll(async () => {
    otlp = await OtlpReceiver.start();
    receiver = await Receiver.start();
    platform = await Platform.start({
      only: ['data-service', 'event-router', 'compute-runtime', 'webhook-gateway', 'scheduler-service'],
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '200',
        FETCH_ALLOWED_HOSTS: '127.0.0.1',
      },
    });
    api = new ApiClient(`${platform.service('data-service').url}/workspace/acme/api/v1`, token);
  });

  afterAll(async () => {
    await platform?.stop();
    await receiver?.stop();
    await otlp?.close();
  });

  it("continues a record event's traceparent through routing, the queue, the run and the delivery attempt", async () => {
    const lookup = receiver.on('/lookup?token=t0ken-in-query', () => ({ status: 200, body: '{}' }));
    const { fn, trigger } = await functionWithTrigger(
      'traced',
      `async function run() {
        const status = await api.step('look-up', async () => (await api.fetch(${JSON.stringify(lookup)})).status);
        return { seen: executionParams.data.n, status };
      }`,
      'event-driven',
      { event: 'record_created', recordSlug: 'traced' },
    );
    const hook = await api.post<Webhook>('/webhooks', {
      name: 'traced-runs',
      url: receiver.on('/traced', () => ({ status: 200 })),
      events: ['function.completed'],
    });
    expect(hook.status).toBe(201);
    const secret = (hook.body as Webhook & { secret: string }).secret;
    await sleep(500); // the router's and the gateway's indexes follow the KV buckets

    // The publisher's own span: the trace the platform continues.
    const traceId = randomBytes(16).toString('hex');
    const publisherSpanId = randomBytes(8).toString('hex');
    const nc = await connect({ servers: platform.nats.url });
    try {
      const h = natsHeaders();
      h.set('traceparent', `00-${traceId}-${publisherSpanId}-01`);
      const eventId = randomUUID();
      await jetstream(nc).publish(
        Subjects.recordEvent('acme', 'traced', 'record_created'),
        JSON.stringify({
          eventId,
          event: 'record_created',
          workspaceSlug: 'acme',
          recordSlug: 'traced',
          recordId: 'order-1',
          data: { n: 1 },
          timestamp: new Date().toISOString(),
        }),
        { msgID: eventId, headers: h },
      );
    } finally {
      await nc.close();
    }

    await waitFor(
      () => Promise.resolve(receiver.received.some((r) => r.path === '/traced') || undefined),
      30_000,
      'the delivery',
    );
    const spans = await traceOnce(
      traceId,
      including([
        'event-router: RECORD_EVENTS queue wait',
        'event-router: event-router process',
        'compute-runtime: EXECUTIONS queue wait',
        'compute-runtime: compute-runtime process',
        'compute-runtime: run attempt',
        'compute-runtime: api.step',
        'compute-runtime: api.fetch',
        'webhook-gateway: webhook-gateway-events process',
        'webhook-gateway: webhook-gateway-deliveries process',
        'webhook-gateway: webhook delivery attempt',
      ]),
      'the spans of the journey',
    );
    expectConnected(spans, publisherSpanId);
    const byName = (name: string) => spans.find((span) => span.name === name);
    expect(byName('event-router process')?.parentSpanId).toBe(publisherSpanId);
    const attempt = byName('run attempt');
    expect(attempt?.attributes).toMatchObject({
      'signalbox.workspace': 'acme',
      'signalbox.function.id': fn.id,
      'signalbox.trigger.id': trigger.id,
      'signalbox.run.status': 'completed',
    });
    const runId = String(attempt?.attributes['signalbox.run.id']);
    // The run's api.step and api.fetch, timed in the sandbox worker, are children of the attempt; the fetch names
    // its host and status, never its path or query.
    expect(byName('api.step')).toMatchObject({
      parentSpanId: attempt?.spanId,
      attributes: { 'signalbox.step.id': 'look-up' },
    });
    expect(byName('api.fetch')).toMatchObject({
      parentSpanId: attempt?.spanId,
      attributes: { 'http.request.method': 'GET', 'server.address': '127.0.0.1', 'http.response.status_code': 200 },
    });
    expect(byName('webhook delivery attempt')?.attributes).toMatchObject({
      'signalbox.webhook.id': hook.body.id,
      'http.response.status_code': 200,
    });
    // The run and its delivery name the trace: runs, deliveries and traces join.
    const run = await api.get<FunctionRun>(`/function-runs/${runId}`);
    expect(run.body).toMatchObject({ status: 'completed', result: { seen: 1, status: 200 }, traceId });
    const deliveries = await api.get<DeliveryList>(`/webhooks/${hook.body.id}/deliveries`);
    expect(deliveries.body.deliveries).toEqual([expect.objectContaining({ traceId })]);
    // No secret in any attribute: not the subscription's signing secret, not the bearer token.
    const everything = JSON.stringify(otlp.spans);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain('t0ken-in-query');
  });
  it('starts a trace at each schedule fire, continued by its run', async () => {
    const { trigger } = await functionWithTrigger(
      'traced-schedule',
      'async function run() { return await api.step("tick", async () => executionParams.scheduledAt); }',
      'scheduled',
      { interval: 1 },
    );
    const fire = await waitFor(
      () =>
        Promise.resolve(
          otlp.spans.find(
            (span) =>
              span.name === 'schedule fire' &&
              span.attributes['signalbox.trigger.id'] === trigger.id &&
              otlp.trace(span.traceId).some((other) => other.name === 'api.step'),
          ),
        ),
      30_000,
      'a schedule fire and its run',
    );
    await api.patch(`/function-triggers/${trigger.id}`, { enabled: false });
    expect(fire).toMatchObject({ service: 'scheduler-service', parentSpanId: '' });
    const spans = await traceOnce(
      fire.traceId,
      including([
        'compute-runtime: EXECUTIONS queue wait',
        'compute-runtime: compute-runtime process',
        'compute-runtime: run attempt',
        'compute-runtime: api.step',
      ]),
      "the schedule fire's run",
    );
    expectConnected(spans, '');
    const runId = String(fire.attributes['signalbox.run.id']);
    expect(spans.find((span) => span.name === 'run attempt')?.attributes['signalbox.run.id']).toBe(runId);
    expect((await api.get<FunctionRun>(`/function-runs/${runId}`)).body.traceId).toBe(fire.traceId);
  });

  it("continues an inbound webhook caller's traceparent through the gateway to the run", async () => {
    const { trigger } = await functionWithTrigger(
      'traced-hook',
      'async function run() { return { got: executionParams.body.n }; }',
      'webhook',
      { path: '/traced-hook' },
    );
    await sleep(300); // the gateway's index follows the KV bucket
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const response = await fetch(
      `${platform.service('webhook-gateway').url}/workspace/acme/api/v1/webhook/traced-hook`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${callerSpanId}-01` },
        body: '{"n":7}',
      },
    );
    expect(response.status).toBeLessThan(300);

    const spans = await traceOnce(
      traceId,
      (names) =>
        names.includes('compute-runtime: run attempt') &&
        names.some((name) => name.startsWith('webhook-gateway: POST ')),
      'the webhook call and its run attempt',
    );
    const server = spans.find((span) => span.service === 'webhook-gateway' && span.name.startsWith('POST '));
    expect(server?.parentSpanId).toBe(callerSpanId);
    expectConnected(spans, callerSpanId);
    const runId = String(spans.find((span) => span.name === 'run attempt')?.attributes['signalbox.run.id']);
    expect((await api.get<FunctionRun>(`/function-runs/${runId}`)).body).toMatchObject({
      triggerId: trigger.id,
      traceId,
    });
  });

  it("a manual retry continues the retry request's trace, and the run shows it", async () => {
    const fn = await api.post<ComputeFunction & { defaultTriggerId: string }>('/compute-functions', {
      name: 'traced-retry',
      code: 'async function run() { throw new Error("not yet"); }',
    });
    expect(fn.status).toBe(201);
    await sleep(300);
    const executed = await api.post<{ jobId: string }>(`/function-triggers/${fn.body.defaultTriggerId}/execute`, {});
    expect(executed.status).toBe(200);
    const { jobId } = executed.body;
    const failed = await waitFor(
      async () => {
        const run = (await api.get<FunctionRun>(`/function-runs/${jobId}`)).body;
        return run.status === 'failed' ? run : undefined;
      },
      20_000,
      'the run to fail',
    );
    const traceId = randomBytes(16).toString('hex');
    const retried = await api.post(`/function-runs/${jobId}/retry`, undefined, {
      traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
    });
    expect(retried.status).toBeLessThan(300);
    await traceOnce(traceId, including(['compute-runtime: run attempt']), "the retried attempt in the request's trace");
    expect(failed.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(failed.traceId).not.toBe(traceId);
    expect((await api.get<FunctionRun>(`/function-runs/${jobId}`)).body.traceId).toBe(traceId);
  });

  it("continues a REST request's traceparent through the execute call, the queue and the run, past a sleep", async () => {
    const fn = await api.post<ComputeFunction & { defaultTriggerId: string }>('/compute-functions', {
      name: 'traced-rest',
      code: 'async function run() { await api.sleep(100); return { ok: true }; }',
    });
    expect(fn.status).toBe(201);
    await sleep(300); // the runtime's config store follows the KV buckets
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const response = await fetch(
      `${platform.service('data-service').url}/workspace/acme/api/v1/function-triggers/${fn.body.defaultTriggerId}/execute`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          traceparent: `00-${traceId}-${callerSpanId}-01`,
        },
        body: '{}',
      },
    );
    expect(response.status).toBe(200);

    // Both attempts' message handling (the first message, then the waker's) and the request.
    const spans = await traceOnce(
      traceId,
      (names) =>
        names.filter((name) => name === 'compute-runtime: compute-runtime process').length === 2 &&
        names.some((name) => name.startsWith('data-service: POST ') && name.endsWith('/execute')) &&
        names.some((name) => name.startsWith('compute-runtime: ') && name.endsWith(' answer')),
      'the request, its answer and both attempts',
    );
    const server = spans.find((span) => span.service === 'data-service' && span.name.startsWith('POST '));
    expect(server?.parentSpanId).toBe(callerSpanId);
    expectConnected(spans, callerSpanId);
    // The attempt that slept and the one woken by the waker (a message of its own) are both in the trace.
    expect(
      spans.filter((span) => span.name === 'run attempt').map((span) => span.attributes['signalbox.run.status']),
    ).toEqual(['sleeping', 'completed']);
    // The run records the request's trace, and the request's log line names it.
    const { jobId } = (await response.json()) as { jobId: string };
    expect((await api.get<FunctionRun>(`/function-runs/${jobId}`)).body.traceId).toBe(traceId);
    const requestLine = platform
      .service('data-service')
      .logs.split('\n')
      .find((line) => line.includes(`${fn.body.defaultTriggerId}/execute`) && line.includes('"statusCode":200'));
    expect(requestLine).toContain(`"traceId":"${traceId}"`);
  });
});
