import { randomUUID } from 'node:crypto';

import { type ComputeFunction, type FunctionRun, type FunctionRunEvent, Streams } from '@signalbox/contracts';
import { Platform, sleep, testToken, waitFor } from '@signalbox/testing';

import { ApiClient } from './support/http';
import { readStream } from './support/record-events';
import { runUntil } from './support/runs';

/**
 * Run control through the real data-service and compute-runtime (docs/run-control.md): cancelling a run that
 * waits or runs, and a cancel racing a finish.
 */
describe('run control: cancel', () => {
  let platform: Platform;
  let api: ApiClient;

  const createFunction = async (code: string, timeoutMs = 5_000) => {
    const response = await api.post<ComputeFunction>('/compute-functions', {
      name: `rc-${randomUUID().slice(0, 8)}`,
      code,
      timeoutMs,
    });
    expect(response.status).toBe(201);
    return response.body;
  };
  const execute = async (triggerId: string, body: unknown = {}) => {
    const response = await api.post<{ jobId: string }>(`/function-triggers/${triggerId}/execute`, body);
    expect(response.status).toBe(200);
    return response.body.jobId;
  };
  const runOf = async (jobId: string) => (await api.get<FunctionRun>(`/function-runs/${jobId}`)).body;
  const until = (jobId: string, statuses: string[], timeoutMs?: number) => runUntil(api, jobId, statuses, timeoutMs);
  /** The `function.*` events published for each of these runs. */
  const eventsOf = async (jobIds: string[]) => {
    const events = await readStream<FunctionRunEvent>(
      platform.nats.url,
      Streams.platformEvents.name,
      'events.acme.function.*',
    );
    const byRun = new Map<string, string[]>(jobIds.map((id) => [id, []]));
    for (const { body } of events) byRun.get(body.data.runId)?.push(body.event);
    return byRun;
  };

  beforeAll(async () => {
    platform = await Platform.start({
      only: ['data-service', 'compute-runtime'],
      env: { SANDBOX_WORKERS: '1', RUN_LEASE_MS: '3000' },
    });
    api = new ApiClient(
      `${platform.service('data-service').url}/workspace/acme/api/v1`,
      testToken({ workspaces: ['acme'], permissions: ['*'] }),
    );
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('stops a running run in its sandbox: status cancelled, function.cancelled and never function.failed', async () => {
    const busy = await createFunction(
      'async function run() { const until = Date.now() + 25000; while (Date.now() < until) {} return { late: true }; }',
      30_000,
    );
    const quick = await createFunction('async function run() { return { ok: true }; }');
    const jobId = await execute(busy.defaultTriggerId);
    await until(jobId, ['running']);

    const cancel = await api.post<{ jobId: string; status: string }>(`/function-runs/${jobId}/cancel`, {});
    expect(cancel.status).toBe(200);
    expect(cancel.body).toEqual({ jobId, status: 'cancelled' });

    // The one sandbox worker is free again long before the busy loop would have ended: it was stopped.
    const next = await execute(quick.defaultTriggerId);
    expect(await until(next, ['completed', 'failed'], 10_000)).toMatchObject({ status: 'completed' });
    const run = await runOf(jobId);
    expect(run).toMatchObject({ status: 'cancelled', result: null });
    expect(run.finishedAt).not.toBeNull();

    // Asked again: the same answer, nothing changes.
    const again = await api.post(`/function-runs/${jobId}/cancel`, {});
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ jobId, status: 'cancelled' });
    await waitFor(
      async () => ((await eventsOf([jobId])).get(jobId)?.length ? true : undefined),
      10_000,
      'the cancelled event',
    );
    expect((await eventsOf([jobId])).get(jobId)).toEqual(['function.cancelled']);
  });

  it('cancels a run waiting for its retry: it never runs again', async () => {
    const failing = await createFunction('async function run() { throw new Error("not yet"); }');
    const trigger = await api.post<{ id: string }>('/function-triggers', {
      name: `rc-retry-${randomUUID().slice(0, 8)}`,
      functionId: failing.id,
      executionType: 'on-demand',
      triggerMetadata: { retry: { maxAttempts: 3, backoff: 'fixed', delayMs: 2000 } },
    });
    expect(trigger.status).toBe(201);
    const jobId = await execute(trigger.body.id);
    const waiting = await waitFor(
      async () => {
        const run = await runOf(jobId);
        return run.status === 'queued' && run.nextAttemptAt !== null ? run : undefined;
      },
      20_000,
      'the run to wait for its retry',
    );
    expect(waiting.attempt).toBe(1);

    expect((await api.post(`/function-runs/${jobId}/cancel`, {})).status).toBe(200);
    await sleep(4_000); // past the retry's due time: its message comes back and finds the run final
    expect(await runOf(jobId)).toMatchObject({ status: 'cancelled', attempt: 1, nextAttemptAt: null, error: null });
  });

  it('refuses a finished run (409) and an unknown one (404), and changes nothing', async () => {
    const quick = await createFunction('async function run() { return 1; }');
    const jobId = await execute(quick.defaultTriggerId);
    await until(jobId, ['completed']);
    const refused = await api.post<{ error: { code: string } }>(`/function-runs/${jobId}/cancel`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('INVALID_STATUS');
    expect(await runOf(jobId)).toMatchObject({ status: 'completed', result: 1 });
    expect((await api.post(`/function-runs/${randomUUID()}/cancel`, {})).status).toBe(404);
    expect((await api.post('/function-runs/not-a-uuid/cancel', {})).status).toBe(404);
  });

  it('ends every run of a cancel racing its finish in one final status, announced once', async () => {
    const short = await createFunction(
      'async function run() { const until = Date.now() + 5; while (Date.now() < until) {} return 1; }',
    );
    const jobIds = await Promise.all(Array.from({ length: 30 }, () => execute(short.defaultTriggerId)));
    const answers = await Promise.all(
      jobIds.map(async (jobId, i) => {
        await sleep(i * 7); // cancels land before, during and after the runs
        return (await api.post(`/function-runs/${jobId}/cancel`, {})).status;
      }),
    );
    const runs = await Promise.all(jobIds.map((jobId) => until(jobId, ['completed', 'cancelled', 'failed'])));
    await sleep(1_000); // the last events are published after the statuses are recorded
    const events = await eventsOf(jobIds);
    runs.forEach((run, i) => {
      expect(answers[i] === 200 ? 'cancelled' : 'completed').toBe(run.status);
      expect(events.get(run.jobId)).toEqual([run.status === 'cancelled' ? 'function.cancelled' : 'function.completed']);
    });
  });
});
