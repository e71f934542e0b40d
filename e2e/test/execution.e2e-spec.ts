import { randomUUID } from 'node:crypto';

import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { FunctionRunEvent, FunctionRunList, FunctionRunStats } from '@signalbox/contracts';
import { Streams, Subjects } from '@signalbox/contracts';
import { type CreateComputeFunction, Signalbox, type TriggerMetadata } from '@signalbox/sdk';
import { Platform, testToken } from '@signalbox/testing';

import { ApiClient } from './support/http';

interface ErrorBody {
  error: { code: string; message: string };
}

const SECRET = `sk_live_${randomUUID()}`;

describe('executing functions: data-service -> NATS -> compute-runtime -> sandbox', () => {
  let platform: Platform;
  let api: ApiClient;

  let client: Signalbox;

  beforeAll(async () => {
    platform = await Platform.start({ only: ['data-service', 'compute-runtime'] });
    const token = testToken({ workspaces: ['acme'], permissions: ['*'], subject: 'alice' });
    const baseUrl = platform.service('data-service').url;
    api = new ApiClient(`${baseUrl}/workspace/acme/api/v1`, token);
    // The SDK for the flows (so it cannot drift from the API); every answer it gets is kept with api's.
    const recording: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      // A live stream never ends: it is not kept (its events carry no params).
      if (!response.headers.get('content-type')?.startsWith('text/event-stream'))
        api.bodies.push(await response.clone().text());
      return response;
    };
    client = new Signalbox({ baseUrl, workspace: 'acme', token, fetch: recording });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  const createFunction = (code: string, extra: Partial<CreateComputeFunction> = {}) =>
    client.functions.create({ name: `fn-${randomUUID().slice(0, 8)}`, code, ...extra });

  const createTrigger = (functionId: string, metadata: TriggerMetadata<'on-demand'> = {}) =>
    client.triggers.create({
      name: `t-${randomUUID().slice(0, 8)}`,
      functionId,
      executionType: 'on-demand',
      triggerMetadata: metadata,
    });

  const finished = (jobId: string) => client.runs.waitFor(jobId, { timeoutMs: 20_000 });

  it('runs the function with the body as executionParams and opened secrets as triggerParams', async () => {
    const fn = await createFunction(`async function run() {
      api.log({ message: 'Processing', orderId: executionParams.orderId });
      const total = await api.step('total', async () => executionParams.quantity * 3);
      return { success: true, total, keyLength: triggerParams.apiKey.length, format: triggerParams.format };
    }`);
    const trigger = await createTrigger(fn.id, {
      params: { apiKey: { value: SECRET, encrypt: true }, format: 'csv' },
    });

    const executed = await client.triggers.execute(trigger.id, { orderId: 'o-1', quantity: 14 });
    expect(executed).toEqual({ jobId: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'queued' });

    const immediately = await client.runs.get(executed.jobId);
    expect(immediately.jobId).toBe(executed.jobId);

    const run = await finished(executed.jobId);
    expect(run).toMatchObject({
      status: 'completed',
      triggerId: trigger.id,
      functionId: fn.id,
      functionVersion: 1,
      executionParams: { orderId: 'o-1', quantity: 14 },
      result: { success: true, total: 42, keyLength: SECRET.length, format: 'csv' },
      steps: [{ id: 'total', status: 'completed', output: 42 }],
      attempt: 1,
      requestedBy: 'alice',
    });
    const logs = await client.runs.logs(executed.jobId);
    expect(logs.logs.map((line) => line.args)).toEqual([[{ message: 'Processing', orderId: 'o-1' }]]);

    const listed = [];
    for await (const summary of client.runs.list({ triggerId: trigger.id })) listed.push(summary.jobId);
    expect(listed).toEqual([executed.jobId]);
    expect(api.bodies.join('\n')).not.toContain(SECRET);
    for (const name of ['data-service', 'compute-runtime'] as const)
      expect(platform.service(name).logs).not.toContain(SECRET);
  });

  it('hands the function the body with its keys in the order sent, and keeps the order of its result', async () => {
    const fn = await createFunction(
      'async function run() { return { seen: JSON.stringify(executionParams), out: { zeta: 1, alpha: 2 } }; }',
    );
    const trigger = await createTrigger(fn.id);
    const sent = '{"zeta":1,"alpha":{"y":1,"b":[{"d":1,"c":2}]},"mid":"x"}';
    const accepted = await api.post<{ jobId: string }>(`/function-triggers/${trigger.id}/execute`, sent);
    const run = await finished(accepted.body.jobId);
    expect(run.result).toMatchObject({ seen: sent });
    await api.get(`/function-runs/${accepted.body.jobId}`);
    const raw = api.bodies.at(-1)!;
    expect(raw).toContain(`"executionParams":${sent}`);
    expect(raw).toContain('"out":{"zeta":1,"alpha":2}');
  });

  it('announces function.completed and function.failed on PLATFORM_EVENTS', async () => {
    const ok = await createFunction('async function run() { return 1; }');
    const bad = await createFunction("async function run() { throw new Error('nope'); }");
    const done = (await api.post<{ jobId: string }>(`/function-triggers/${ok.defaultTriggerId}/execute`)).body.jobId;
    const failed = (await api.post<{ jobId: string }>(`/function-triggers/${bad.defaultTriggerId}/execute`)).body.jobId;
    await finished(done);
    await finished(failed);

    const nc = await connect({ servers: platform.nats.url });
    try {
      const js = jetstream(nc);
      const events: FunctionRunEvent[] = [];
      // One filter subject (nats-server 2.9 has no multi-subject filters).
      const consumer = await js.consumers.get(Streams.platformEvents.name, {
        filter_subjects: Subjects.platformEvent('acme', '>'),
      });
      for (;;) {
        const message = await consumer.next({ expires: 1000 });
        if (!message) break;
        events.push(message.json<FunctionRunEvent>());
      }
      expect(events.find((e) => e.data.runId === done)).toMatchObject({
        id: `run.${done}.1.completed`,
        event: 'function.completed',
        workspace: 'acme',
        data: { functionId: ok.id, triggerId: ok.defaultTriggerId, status: 'completed', attempt: 1, error: null },
      });
      expect(events.find((e) => e.data.runId === failed)).toMatchObject({
        event: 'function.failed',
        data: { status: 'failed', error: { name: 'Error', message: 'nope' } },
      });
    } finally {
      await nc.close();
    }
  });

  it('answers the same jobId to a repeated Idempotency-Key, and 409 to the same key with another body', async () => {
    const fn = await createFunction('async function run() { return executionParams.n; }');
    const url = `${platform.service('data-service').url}/workspace/acme/api/v1/function-triggers/${fn.defaultTriggerId}/execute`;
    const headers = {
      authorization: `Bearer ${testToken({ workspaces: ['acme'] })}`,
      'content-type': 'application/json',
      'idempotency-key': `order-${randomUUID()}`,
    };
    const send = (body: unknown) => fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });

    const responses = await Promise.all(Array.from({ length: 10 }, () => send({ n: 1 })));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{ jobId: string }>;
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    expect(new Set(bodies.map((b) => b.jobId)).size).toBe(1);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);

    const different = await send({ n: 2 });
    expect(different.status).toBe(409);
    expect(((await different.json()) as ErrorBody).error.code).toBe('CONFLICT');

    // The same content with its keys in another order is the same request: the same job, not 409.
    const reordered = { ...headers, 'idempotency-key': `order-${randomUUID()}` };
    const sendRaw = (text: string) => fetch(url, { method: 'POST', headers: reordered, body: text });
    const ab = await sendRaw('{"n": 1, "note": {"a": 1, "b": 2}}');
    const ba = await sendRaw('{"note": {"b": 2, "a": 1}, "n": 1}');
    expect(ba.status).toBe(200);
    expect(((await ba.json()) as { jobId: string }).jobId).toBe(((await ab.json()) as { jobId: string }).jobId);
    expect((await sendRaw('{"n": 1, "note": {"a": 1, "b": 3}}')).status).toBe(409);

    await finished(bodies[0].jobId);
    const runs = await api.get<FunctionRunList>(`/function-runs?triggerId=${fn.defaultTriggerId}`);
    expect(runs.body.total).toBe(2);
  });

  it('lists runs by execution type, time window, job id and idempotency key, and counts them by function', async () => {
    const fn = await createFunction(
      'async function run() { if (executionParams.fail) throw new Error("no"); return 1; }',
    );
    const other = await createFunction('async function run() { return 2; }');
    const before = new Date().toISOString();
    const key = `console-search-${randomUUID()}`;
    const first = await client.triggers.execute(fn.defaultTriggerId, { fail: false }, { idempotencyKey: key });
    const second = await client.triggers.execute(fn.defaultTriggerId, { fail: true });
    await Promise.all([finished(first.jobId), finished(second.jobId)]);
    const after = new Date().toISOString();
    const list = async (query: string) => {
      const answer = await api.get<FunctionRunList>(`/function-runs?functionId=${fn.id}&${query}`);
      expect(answer.status).toBe(200);
      return answer.body.runs.map((run) => run.jobId).sort();
    };

    expect(await list('executionType=on-demand')).toEqual([first.jobId, second.jobId].sort());
    expect(await list('executionType=webhook')).toEqual([]);
    expect(await list(`from=${before}&to=${after}`)).toEqual([first.jobId, second.jobId].sort());
    expect(await list(`to=${before}`)).toEqual([]);
    expect(await list(`jobId=${second.jobId}`)).toEqual([second.jobId]);
    expect(await list(`idempotencyKey=${encodeURIComponent(key)}`)).toEqual([first.jobId]);
    expect(await list('idempotencyKey=never-used')).toEqual([]);
    const refused = await api.get<ErrorBody>('/function-runs?executionType=carrier-pigeon');
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('VALIDATION_ERROR');

    const stats = await api.get<FunctionRunStats>(`/function-runs/stats?functionId=${fn.id}&functionId=${other.id}`);
    expect(stats.status).toBe(200);
    expect(stats.body.functions).toEqual([
      {
        functionId: fn.id,
        total: 2,
        byStatus: { queued: 0, running: 0, completed: 1, failed: 1, timed_out: 0, cancelled: 0, sleeping: 0 },
      },
    ]);
    const one = await api.get<FunctionRunStats>(`/function-runs/stats?functionId=${fn.id}&since=${after}`);
    expect(one.body).toEqual({ since: after, functions: [] });
    expect((await api.get('/function-runs/stats')).status).toBe(400);
  });

  it("executes a function's system default trigger", async () => {
    const fn = await createFunction('async function run() { return executionParams; }');
    const executed = await api.post<{ jobId: string }>(`/function-triggers/${fn.defaultTriggerId}/execute`, {
      hello: 'world',
    });
    expect((await finished(executed.body.jobId)).result).toEqual({ hello: 'world' });
  });

  it('records failures and time-outs', async () => {
    const failing = await createTrigger(
      (await createFunction("async function run() { throw new TypeError('bad order'); }")).id,
    );
    const slow = await createTrigger(
      (await createFunction('async function run() { while (true) {} }', { timeoutMs: 300 })).id,
    );
    const failed = await finished(
      (await api.post<{ jobId: string }>(`/function-triggers/${failing.id}/execute`)).body.jobId,
    );
    expect(failed).toMatchObject({ status: 'failed', error: { name: 'TypeError', message: 'bad order' } });
    const timedOut = await finished(
      (await api.post<{ jobId: string }>(`/function-triggers/${slow.id}/execute`)).body.jobId,
    );
    expect(timedOut).toMatchObject({ status: 'timed_out', error: { name: 'TimeoutError' } });
  });

  it('counts attempts by outcome and times them on /metrics', async () => {
    const sample = async (name: string, label: string) => {
      const text = await (await fetch(`${platform.service('compute-runtime').url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(name) && l.includes(label));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const completedBefore = await sample('signalbox_run_attempts_total', 'outcome="completed"');
    const failedBefore = await sample('signalbox_run_duration_seconds_count', 'status="failed"');
    const ok = await createTrigger((await createFunction('async function run() { return 1; }')).id);
    const failing = await createTrigger((await createFunction("async function run() { throw new Error('no'); }")).id);
    for (const trigger of [ok, failing]) {
      await finished((await api.post<{ jobId: string }>(`/function-triggers/${trigger.id}/execute`)).body.jobId);
    }
    expect(await sample('signalbox_run_attempts_total', 'outcome="completed"')).toBe(completedBefore + 1);
    expect(await sample('signalbox_run_duration_seconds_count', 'status="failed"')).toBe(failedBefore + 1);
    expect(await sample('signalbox_run_start_delay_seconds_count', '')).toBeGreaterThanOrEqual(2);
  });

  it('refuses bodies that break the inputSchema, and starts nothing', async () => {
    const fn = await createFunction('async function run() { return 1; }');
    const trigger = await createTrigger(fn.id, {
      inputSchema: { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } },
    });
    const refused = await api.post<ErrorBody>(`/function-triggers/${trigger.id}/execute`, { orderId: 7 });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('VALIDATION_ERROR');
    const runs = await api.get<FunctionRunList>(`/function-runs?triggerId=${trigger.id}`);
    expect(runs.body.total).toBe(0);
  });

  it('answers 409 INVALID_STATUS for a disabled or non-on-demand trigger', async () => {
    const fn = await createFunction('async function run() { return 1; }');
    const scheduled = await client.triggers.create({
      name: `t-${randomUUID().slice(0, 8)}`,
      functionId: fn.id,
      executionType: 'scheduled',
      triggerMetadata: { interval: 60 },
    });
    const notOnDemand = await api.post<ErrorBody>(`/function-triggers/${scheduled.id}/execute`);
    expect(notOnDemand.status).toBe(409);
    expect(notOnDemand.body.error.code).toBe('INVALID_STATUS');
    const trigger = await createTrigger(fn.id);
    await api.post(`/function-triggers/${trigger.id}/disable`);
    const disabled = await api.post<ErrorBody>(`/function-triggers/${trigger.id}/execute`);
    expect(disabled.status).toBe(409);
    expect(disabled.body.error).toEqual({ code: 'INVALID_STATUS', message: `trigger ${trigger.name} is disabled` });
  });

  it("answers 404 for another workspace's run and for a reader without execute", async () => {
    const fn = await createFunction('async function run() { return 1; }');
    const { jobId } = (await api.post<{ jobId: string }>(`/function-triggers/${fn.defaultTriggerId}/execute`)).body;
    const other = new ApiClient(
      `${platform.service('data-service').url}/workspace/globex/api/v1`,
      testToken({ workspaces: ['globex'], permissions: ['*'] }),
    );
    expect((await other.get(`/function-runs/${jobId}`)).status).toBe(404);
    const reader = api.as(
      testToken({ workspaces: ['acme'], permissions: ['function-triggers:read', 'function-runs:read'] }),
    );
    expect((await reader.post(`/function-triggers/${fn.defaultTriggerId}/execute`)).status).toBe(403);
    expect((await reader.get(`/function-runs/${jobId}`)).status).toBe(200);
  });

  it('answers 503 and starts nothing while the runtime is down, and runs again once it is back', async () => {
    const fn = await createFunction('async function run() { return "back"; }');
    const runtime = platform.service('compute-runtime');
    expect(await runtime.stop('SIGTERM')).toBe(0);
    const refused = await api.post<ErrorBody>(`/function-triggers/${fn.defaultTriggerId}/execute`);
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('SERVICE_UNAVAILABLE');
    runtime.start();
    await runtime.waitReady();
    const { jobId } = (await api.post<{ jobId: string }>(`/function-triggers/${fn.defaultTriggerId}/execute`)).body;
    expect((await finished(jobId)).result).toBe('back');
  });
});
