import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { ComputeFunction, FunctionRun, FunctionTrigger } from '@signalbox/contracts';
import { Platform, testToken, waitFor } from '@signalbox/testing';

import { ApiClient } from './support/http';

/**
 * Retry policies and step memoization through the real data-service and compute-runtime: a failed attempt
 * goes back to the queue (durably, in EXECUTIONS) and the next attempt reuses the output of the steps that
 * completed, so their side effects happen once.
 */
describe('retries with step memoization', () => {
  let platform: Platform;
  let api: ApiClient;
  let server: Server;
  let base: string;
  const hits = new Map<string, number>();

  const createFunction = async (code: string) => {
    const response = await api.post<ComputeFunction>('/compute-functions', {
      name: `r-${randomUUID().slice(0, 8)}`,
      code,
    });
    expect(response.status).toBe(201);
    return response.body;
  };
  const settled = (jobId: string) =>
    waitFor(
      async () => {
        const run = (await api.get<FunctionRun>(`/function-runs/${jobId}`)).body;
        return ['completed', 'failed', 'timed_out'].includes(run.status) ? run : undefined;
      },
      30_000,
      `run ${jobId} settled`,
    );

  beforeAll(async () => {
    // A side-effecting API: /charge counts, /ship fails the first time it is called for an order.
    server = createServer((request, response) => {
      const path = request.url ?? '/';
      const count = (hits.get(path) ?? 0) + 1;
      hits.set(path, count);
      if (path.startsWith('/ship') && count === 1) {
        response.writeHead(503).end('warehouse busy');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, count }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    platform = await Platform.start({
      only: ['data-service', 'compute-runtime'],
      env: { FETCH_ALLOWED_HOSTS: '127.0.0.1' },
    });
    api = new ApiClient(
      `${platform.service('data-service').url}/workspace/acme/api/v1`,
      testToken({ workspaces: ['acme'], permissions: ['*'] }),
    );
  });

  afterAll(async () => {
    await platform?.stop();
    server?.close();
  });

  it('retries a failed run by its policy and runs a completed step exactly once overall', async () => {
    const order = randomUUID().slice(0, 8);
    const fn = await createFunction(`async function run() {
      const charged = await api.step('charge', async () => (await api.fetch('${base}/charge-${order}', { method: 'POST' })).json());
      const shipped = await api.step('ship', async () => {
        const response = await api.fetch('${base}/ship-${order}', { method: 'POST' });
        if (!response.ok) throw new Error('shipping failed: ' + response.status);
        return response.json();
      });
      return { charged: charged.count, shipped: shipped.count };
    }`);
    const trigger = await api.post<FunctionTrigger>('/function-triggers', {
      name: `retry-${order}`,
      functionId: fn.id,
      executionType: 'on-demand',
      triggerMetadata: { retry: { maxAttempts: 3, backoff: 'fixed', delayMs: 300 } },
    });
    expect(trigger.status).toBe(201);
    const { jobId } = (await api.post<{ jobId: string }>(`/function-triggers/${trigger.body.id}/execute`, {})).body;

    const run = await settled(jobId);
    expect(run).toMatchObject({ status: 'completed', attempt: 2, result: { charged: 1, shipped: 2 } });
    expect(hits.get(`/charge-${order}`)).toBe(1); // the first step did not run again
    expect(hits.get(`/ship-${order}`)).toBe(2);
    expect(run.steps).toEqual([
      expect.objectContaining({ id: 'charge', status: 'completed', memoized: true, output: { ok: true, count: 1 } }),
      expect.objectContaining({ id: 'ship', status: 'completed', output: { ok: true, count: 2 } }),
    ]);
    expect(run.attempts.map((a) => [a.attempt, a.status, a.error?.message ?? null])).toEqual([
      [1, 'failed', 'shipping failed: 503'],
      [2, 'completed', null],
    ]);
    expect(run.nextAttemptAt).toBeNull();
  });

  it('does not retry an on-demand run by default, and POST /function-runs/{id}/retry gives it another attempt', async () => {
    const order = randomUUID().slice(0, 8);
    const fn = await createFunction(`async function run() {
      await api.step('charge', async () => (await api.fetch('${base}/charge-${order}', { method: 'POST' })).json());
      return api.step('ship', async () => {
        const response = await api.fetch('${base}/ship-${order}', { method: 'POST' });
        if (!response.ok) throw new Error('shipping failed: ' + response.status);
        return response.json();
      });
    }`);
    const { jobId } = (await api.post<{ jobId: string }>(`/function-triggers/${fn.defaultTriggerId}/execute`, {})).body;
    const failed = await settled(jobId);
    expect(failed).toMatchObject({ status: 'failed', attempt: 1, error: { message: 'shipping failed: 503' } });

    const retried = await api.post<{ jobId: string; status: string; attempt: number }>(`/function-runs/${jobId}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body).toEqual({ jobId, status: 'queued', attempt: 2 });
    const done = await settled(jobId);
    expect(done).toMatchObject({ status: 'completed', attempt: 2, result: { ok: true, count: 2 } });
    expect(hits.get(`/charge-${order}`)).toBe(1);
    expect(done.attempts.map((a) => a.status)).toEqual(['failed', 'completed']);

    const again = await api.post<{ error: { code: string } }>(`/function-runs/${jobId}/retry`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('INVALID_STATUS');
    expect((await api.post(`/function-runs/${randomUUID()}/retry`)).status).toBe(404);
  });
});
