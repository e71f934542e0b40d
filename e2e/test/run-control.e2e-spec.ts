import { randomUUID } from 'node:crypto';

import {
  type BulkRunJob,
  type ComputeFunction,
  type FunctionRun,
  type FunctionRunEvent,
  Streams,
} from '@signalbox/contracts';
import { Platform, queryDatabase, sleep, testToken, waitFor } from '@signalbox/testing';

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
    expect(run.attempts).toEqual([expect.objectContaining({ attempt: 1, status: 'cancelled', error: null })]);

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

  it('retries a cancelled run as its next attempt, which the cancel does not stop, with its completed steps reused', async () => {
    // The first attempt completes its step and then fails; the next one finds the step memoized and completes.
    const once = await createFunction(
      `async function run() {
         let fresh = false;
         const at = await api.step('once', async () => { fresh = true; return Date.now(); });
         if (fresh) throw new Error('the first attempt fails');
         return { retried: true, at };
       }`,
    );
    const trigger = await api.post<{ id: string }>('/function-triggers', {
      name: `rc-cancel-retry-${randomUUID().slice(0, 8)}`,
      functionId: once.id,
      executionType: 'on-demand',
      triggerMetadata: { retry: { maxAttempts: 3, backoff: 'fixed', delayMs: 10_000 } },
    });
    expect(trigger.status).toBe(201);
    const jobId = await execute(trigger.body.id);
    await waitFor(
      async () => {
        const run = await runOf(jobId);
        return run.status === 'queued' && run.nextAttemptAt !== null ? run : undefined;
      },
      20_000,
      'the run to wait for its retry',
    );
    // Cancelled while it waits: the cancel's notice reaches the runtime, which keeps it for a minute for a run that
    // has not reached its sandbox. It names attempt 1, so the retry's attempt 2, moments later, runs.
    expect((await api.post(`/function-runs/${jobId}/cancel`, {})).status).toBe(200);
    const retried = await api.post<{ jobId: string; status: string; attempt: number }>(
      `/function-runs/${jobId}/retry`,
      {},
    );
    expect(retried.status).toBe(202);
    expect(retried.body).toEqual({ jobId, status: 'queued', attempt: 2 });
    const done = await until(jobId, ['completed', 'failed', 'cancelled'], 20_000);
    expect(done).toMatchObject({ status: 'completed', attempt: 2, result: { retried: true } });
    expect(done.steps).toEqual([expect.objectContaining({ id: 'once', memoized: true })]);
    await waitFor(
      async () => ((await eventsOf([jobId])).get(jobId)?.length === 2 ? true : undefined),
      10_000,
      'the cancelled and completed events',
    );
    expect((await eventsOf([jobId])).get(jobId)).toEqual(['function.cancelled', 'function.completed']);

    // A completed run is not retried.
    const refused = await api.post<{ error: { code: string; message: string } }>(`/function-runs/${jobId}/retry`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'INVALID_STATUS',
      message: expect.stringMatching(/is completed/),
    });
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

  describe('bulk jobs', () => {
    /** `count` queued runs of a function, written straight into the runtime's table (as if accepted earlier). */
    const queuedRuns = (fn: ComputeFunction, count: number) =>
      queryDatabase(
        platform.database.url,
        `INSERT INTO runtime.runs (id, workspace_slug, trigger_id, function_id, status, requested_by)
         SELECT gen_random_uuid(), 'acme', $1, $2, 'queued', 'e2e' FROM generate_series(1, $3)`,
        [fn.defaultTriggerId, fn.id, count],
      );
    const statusCounts = async (fn: ComputeFunction) =>
      Object.fromEntries(
        (
          await queryDatabase<{ status: string; n: number }>(
            platform.database.url,
            'SELECT status, count(*)::int AS n FROM runtime.runs WHERE function_id = $1 GROUP BY status',
            [fn.id],
          )
        ).map((row) => [row.status, row.n]),
      );
    const jobOf = async (id: string) => (await api.get<BulkRunJob>(`/function-runs/bulk/${id}`)).body;

    it('cancels 50,000 runs in the background, each once, through a runtime killed with SIGKILL midway', async () => {
      const fn = await createFunction('async function run() { return 1; }');
      await queuedRuns(fn, 50_000);
      const created = await api.post<BulkRunJob>('/function-runs/bulk', {
        action: 'cancel',
        name: 'stop the backlog',
        filter: { functionId: fn.id },
      });
      expect(created.status).toBe(202);
      expect(created.body).toMatchObject({
        name: 'stop the backlog',
        action: 'cancel',
        status: 'running',
        total: 50_000,
      });

      await waitFor(async () => ((await jobOf(created.body.id)).processed > 0 ? true : undefined), 30_000, 'progress');
      const runtime = platform.service('compute-runtime');
      const midway = await jobOf(created.body.id);
      await runtime.stop('SIGKILL');
      runtime.start();
      await runtime.waitReady();

      const done = await waitFor(
        async () => {
          const job = await jobOf(created.body.id);
          return job.status === 'completed' ? job : undefined;
        },
        120_000,
        'the bulk job to complete',
      );
      expect(midway.processed).toBeLessThan(50_000);
      // Every run acted on exactly once: a page done twice would count fewer acted than runs cancelled.
      expect(done).toMatchObject({ total: 50_000, processed: 50_000, acted: 50_000 });
      expect(done.finishedAt).not.toBeNull();
      expect(await statusCounts(fn)).toEqual({ cancelled: 50_000 });
    });

    it('retries the failed runs a filter matches, each once, and skips the rest', async () => {
      const failing = await createFunction('async function run() { throw new Error("always"); }');
      const jobIds = await Promise.all(Array.from({ length: 6 }, () => execute(failing.defaultTriggerId)));
      await Promise.all(jobIds.map((jobId) => until(jobId, ['failed'])));
      await queuedRuns(failing, 4); // not failed: skipped

      const request = { action: 'retry', filter: { functionId: failing.id } };
      const key = { 'idempotency-key': `bulk-${randomUUID()}` };
      const created = await api.post<BulkRunJob>('/function-runs/bulk', request, key);
      expect(created.status).toBe(202);
      expect(created.body).toMatchObject({ name: 'retry runs', total: 10 });
      // A retried request with its key answers the same job: nothing is retried twice.
      expect((await api.post<BulkRunJob>('/function-runs/bulk', request, key)).body.id).toBe(created.body.id);
      const done = await waitFor(
        async () => {
          const job = await jobOf(created.body.id);
          return job.status === 'completed' ? job : undefined;
        },
        30_000,
        'the bulk retry to complete',
      );
      expect(done).toMatchObject({ processed: 10, acted: 6 });
      const runs = await Promise.all(
        jobIds.map((jobId) =>
          waitFor(
            async () => {
              const run = await runOf(jobId);
              return run.status === 'failed' && run.attempt === 2 ? run : undefined;
            },
            30_000,
            `run ${jobId} retried`,
          ),
        ),
      );
      expect(runs.map((run) => run.attempts.length)).toEqual(jobIds.map(() => 2));
    });

    it('stops a bulk job where it is when cancelled, and refuses a filter that matches everything', async () => {
      const fn = await createFunction('async function run() { return 1; }');
      await queuedRuns(fn, 20_000);
      const created = await api.post<BulkRunJob>('/function-runs/bulk', {
        action: 'cancel',
        filter: { functionId: fn.id },
      });
      const stopped = await api.post<BulkRunJob>(`/function-runs/bulk/${created.body.id}/cancel`, {});
      expect(stopped.status).toBe(200);
      expect(stopped.body.status).toBe('cancelled');
      await sleep(1_500);
      const after = await jobOf(created.body.id);
      expect(after.status).toBe('cancelled');
      expect(after.processed).toBeLessThan(20_000);
      expect((await statusCounts(fn)).cancelled ?? 0).toBe(after.acted);

      const everything = await api.post<{ error: { code: string } }>('/function-runs/bulk', {
        action: 'cancel',
        filter: {},
      });
      expect(everything.status).toBe(400);
      expect(everything.body.error.code).toBe('VALIDATION_ERROR');
      expect((await api.get(`/function-runs/bulk/${randomUUID()}`)).status).toBe(404);
    });
  });
});
