import { randomUUID } from 'node:crypto';

import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  type ComputeFunction,
  type ExecRequest,
  type FunctionRun,
  type FunctionRunList,
  type FunctionTrigger,
  Subjects,
} from '@signalbox/contracts';
import {
  createTestDatabase,
  NatsServerProcess,
  queryDatabase,
  ServiceProcess,
  TEST_JWT_SECRET,
  type TestDatabase,
  testToken,
  waitFor,
} from '@signalbox/testing';

import { ApiClient } from './support/http';
import { runUntil } from './support/runs';

/** Two and more compute-runtime replicas on one queue, killed with SIGKILL in the middle of runs. */
describe('compute-runtime replicas and crashes', () => {
  let database: TestDatabase;
  let nats: NatsServerProcess;
  let env: Record<string, string>;
  let api: ApiClient;
  const processes: ServiceProcess[] = [];

  const runtime = async (extra: Record<string, string> = {}) => {
    const created = await ServiceProcess.create('compute-runtime', { ...env, ...extra });
    processes.push(created);
    created.start();
    await created.waitReady();
    return created;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    nats = await NatsServerProcess.create();
    await nats.start();
    env = {
      DATABASE_URL: database.url,
      NATS_URL: nats.url,
      JWT_SECRET: TEST_JWT_SECRET,
      NATS_ACK_WAIT_MS: '2000',
      RUN_LEASE_MS: '2000',
      SANDBOX_WORKERS: '1',
    };
    const data = await ServiceProcess.create('data-service', env);
    processes.push(data);
    data.start();
    await data.waitReady();
    api = new ApiClient(`${data.url}/workspace/acme/api/v1`, testToken({ workspaces: ['acme'] }));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await nats.dispose();
    await database.drop();
  });

  const busyFunction = async (ms: number) =>
    (
      await api.post<ComputeFunction>('/compute-functions', {
        name: `busy-${randomUUID().slice(0, 8)}`,
        timeoutMs: 20_000,
        code: `async function run() { const until = Date.now() + ${ms}; while (Date.now() < until) {} return { n: executionParams.n }; }`,
      })
    ).body;

  const execute = async (fn: ComputeFunction, n: number) =>
    (await api.post<{ jobId: string }>(`/function-triggers/${fn.defaultTriggerId}/execute`, { n })).body.jobId;

  const runOf = async (jobId: string) => (await api.get<FunctionRun>(`/function-runs/${jobId}`)).body;

  const until = (jobId: string, statuses: string[], timeoutMs?: number) => runUntil(api, jobId, statuses, timeoutMs);

  it('retries a run whose runtime was killed with SIGKILL on another replica (attempt 2)', async () => {
    const first = await runtime();
    // Long enough that the second replica is up (slow on a loaded machine) before the first could finish it.
    const fn = await busyFunction(10_000);
    const jobId = await execute(fn, 7);
    await until(jobId, ['running']);

    await runtime();
    await first.stop('SIGKILL');

    const run = await until(jobId, ['completed', 'failed', 'timed_out']);
    expect(run).toMatchObject({ status: 'completed', attempt: 2, result: { n: 7 } });
  });

  it('answers an endpoint call whose runtime was killed mid-run, from the replica that took the run over', async () => {
    // Only `first` may take the run: stop the replicas that earlier tests left running.
    const alive = processes.filter((p) => p.name === 'compute-runtime' && p.pid !== undefined);
    await Promise.all(alive.map((p) => p.stop('SIGKILL')));
    const first = await runtime();
    const gateway = await ServiceProcess.create('webhook-gateway', env);
    processes.push(gateway);
    gateway.start();
    await gateway.waitReady();
    const fn = (
      await api.post<ComputeFunction>('/compute-functions', {
        name: `busy-endpoint-${randomUUID().slice(0, 8)}`,
        timeoutMs: 20_000,
        code: 'async function run() { const until = Date.now() + 8000; while (Date.now() < until) {} return { n: executionParams.body.n }; }',
      })
    ).body;
    const trigger = (
      await api.post<FunctionTrigger>('/function-triggers', {
        name: `crash-${randomUUID().slice(0, 8)}`,
        functionId: fn.id,
        executionType: 'endpoint',
        triggerMetadata: { path: '/crash', timeoutMs: 30_000 },
      })
    ).body;
    await waitFor(
      async () => (await fetch(`${gateway.url}/workspace/acme/api/v1/endpoints/nothing`)).status === 404,
      5_000,
      'gateway ready',
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // the gateway's index follows the KV bucket

    const call = fetch(`${gateway.url}/workspace/acme/api/v1/endpoints/crash`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: 11 }),
    });
    const jobId = await waitFor(
      async () => {
        const list = await api.get<FunctionRunList>(`/function-runs?triggerId=${trigger.id}`);
        return list.body.runs.find((run) => run.status === 'running')?.jobId;
      },
      20_000,
      'the endpoint run to be running',
    );
    await runtime();
    await first.stop('SIGKILL');

    const response = await call;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ n: 11 });
    expect(response.headers.get('x-signalbox-job-id')).toBe(jobId);
    expect(await runOf(jobId)).toMatchObject({ status: 'completed', attempt: 2 });
  });

  it('shares the queue between two replicas and runs nothing twice', async () => {
    await runtime();
    const fn = await busyFunction(50);
    const jobIds = await Promise.all(Array.from({ length: 12 }, (_, i) => execute(fn, i)));
    const runs = await Promise.all(jobIds.map((jobId) => until(jobId, ['completed', 'failed', 'timed_out'])));
    expect(runs.map((run) => [run.status, run.attempt])).toEqual(runs.map(() => ['completed', 1]));
    expect(runs.map((run) => (run.result as { n: number }).n).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 12 }, (_, i) => i),
    );
  });

  it('fails a run after its last attempt instead of leaving it running', async () => {
    const fn = await busyFunction(4000);
    const jobId = await execute(fn, 1);
    await until(jobId, ['running']);
    const alive = processes.filter((p) => p.name === 'compute-runtime' && p.pid !== undefined);
    await Promise.all(alive.map((p) => p.stop('SIGKILL')));

    await runtime({ RUN_MAX_ATTEMPTS: '1' });
    const run = await until(jobId, ['completed', 'failed', 'timed_out']);
    expect(run).toMatchObject({ status: 'failed', attempt: 2, error: { name: 'RunAbandoned' } });
  });

  it('records again a dispatched run whose record was lost while it ran (a Postgres crash before the WAL flush)', async () => {
    // A dispatched run's insert does not wait for the flush: a Postgres crash can lose its row while it runs.
    // Its outcome then finds no row; the message must come back and record the run, not be acknowledged.
    const fn = await busyFunction(1500);
    const runId = randomUUID();
    const request: ExecRequest = {
      runId,
      workspace: 'acme',
      run: { triggerId: fn.defaultTriggerId, functionId: fn.id, executionParams: { n: 5 }, requestedBy: 'e2e' },
    };
    const nc = await connect({ servers: nats.url });
    try {
      await jetstream(nc).publish(Subjects.execRequest('acme', fn.id), JSON.stringify(request), { msgID: runId });
    } finally {
      await nc.close();
    }
    await until(runId, ['running']);
    await queryDatabase(database.url, 'DELETE FROM runtime.runs WHERE id = $1', [runId]);

    const run = await until(runId, ['completed', 'failed', 'timed_out']);
    expect(run).toMatchObject({ status: 'completed', result: { n: 5 } });
  });
});
