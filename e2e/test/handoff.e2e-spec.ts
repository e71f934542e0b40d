import { randomUUID } from 'node:crypto';

import type { ComputeFunction, Delivery, FunctionRun, FunctionTrigger, Webhook } from '@signalbox/contracts';
import {
  createTestDatabase,
  DelayedTcpProxy,
  NatsServerProcess,
  queryDatabase,
  ServiceProcess,
  TEST_JWT_SECRET,
  type TestDatabase,
  testToken,
  waitFor,
} from '@signalbox/testing';

import { ApiClient } from './support/http';
import { Receiver } from './support/receiver';

/**
 * Issue 20, item 4: a process killed between committing a row and publishing its queue message. The proxy in
 * front of Postgres holds the answer to the row's INSERT, so the test sees the row committed while its writer
 * still waits to hear so; the writer is then killed. Another replica must find the row and publish it.
 */
describe('the hand-off from a row to its queue message', () => {
  let database: TestDatabase;
  let nats: NatsServerProcess;
  let proxy: DelayedTcpProxy;
  let receiver: Receiver;
  let env: Record<string, string>;
  let api: ApiClient;
  const processes: ServiceProcess[] = [];

  const service = async (name: Parameters<typeof ServiceProcess.create>[0], extra: Record<string, string> = {}) => {
    const created = await ServiceProcess.create(name, { ...env, ...extra });
    processes.push(created);
    created.start();
    await created.waitReady(30_000);
    return created;
  };
  /** DATABASE_URL through the proxy. */
  const proxied = () => {
    const url = new URL(database.url);
    url.host = `127.0.0.1:${proxy.port}`;
    return { DATABASE_URL: url.toString() };
  };
  const rows = <T extends Record<string, unknown>>(sql: string, params: unknown[] = []) =>
    queryDatabase<T>(database.url, sql, params);

  /**
   * Sends `request` with the answers of Postgres held once `statements` went out (one connection), waits until `rowQuery` finds the row
   * committed, kills `doomed` (which still waits to hear so), and answers the row and what the caller got.
   */
  const killAfterCommit = async <A>(
    doomed: ServiceProcess,
    statements: readonly string[],
    request: () => Promise<A>,
    rowQuery: string,
    params: unknown[],
  ) => {
    proxy.holdRepliesAfter(statements);
    const answer = request();
    const [row] = await waitFor(
      async () => {
        const found = await rows<{ id: string; status?: string }>(rowQuery, params);
        return found.length > 0 ? found : undefined;
      },
      20_000,
      'the row committed',
    );
    await doomed.stop('SIGKILL');
    proxy.releaseReplies();
    return { row, answer: await answer };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    nats = await NatsServerProcess.create();
    await nats.start();
    const target = new URL(database.url);
    proxy = await DelayedTcpProxy.create({ host: target.hostname, port: Number(target.port || 5432) });
    await proxy.open();
    receiver = await Receiver.start();
    env = {
      DATABASE_URL: database.url,
      NATS_URL: nats.url,
      JWT_SECRET: TEST_JWT_SECRET,
      OUTBOX_GRACE_MS: '1000',
      SANDBOX_WORKERS: '1',
      FETCH_ALLOWED_HOSTS: '127.0.0.1',
    };
    const data = await service('data-service');
    api = new ApiClient(`${data.url}/workspace/acme/api/v1`, testToken({ workspaces: ['acme'], permissions: ['*'] }));
  });

  afterAll(async () => {
    proxy?.releaseReplies();
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await proxy?.close();
    await receiver?.stop();
    await nats?.dispose();
    await database?.drop();
  });

  it('runs an accepted run whose runtime died after its row and before its message, once', async () => {
    const doomed = await service('compute-runtime', proxied());
    const fn = (
      await api.post<ComputeFunction>('/compute-functions', {
        name: `handoff-${randomUUID().slice(0, 8)}`,
        code: 'async function run() { return executionParams; }',
      })
    ).body;
    const trigger = (
      await api.post<FunctionTrigger>('/function-triggers', {
        name: `handoff-${randomUUID().slice(0, 8)}`,
        functionId: fn.id,
        executionType: 'on-demand',
      })
    ).body;
    const runOf = async (jobId: string) => (await api.get<FunctionRun>(`/function-runs/${jobId}`)).body;
    // The runtime works: one run through it first.
    const warm = await api.post<{ jobId: string }>(`/function-triggers/${trigger.id}/execute`, { n: 0 });
    await waitFor(
      async () => ((await runOf(warm.body.jobId)).status === 'completed' ? true : undefined),
      30_000,
      'warm-up run',
    );

    const { row, answer } = await killAfterCommit(
      doomed,
      ['INSERT INTO runtime.runs', 'COMMIT'],
      () => api.post(`/function-triggers/${trigger.id}/execute`, { n: 1 }),
      'SELECT id, status FROM runtime.runs WHERE id <> $1',
      [warm.body.jobId],
    );
    expect(row.status).toBe('queued');
    // The caller was not told it was refused: the answer was lost with the process (503, outcome unknown).
    expect(answer.status).toBe(503);

    await service('compute-runtime');
    const run = await waitFor(
      async () => {
        const current = await runOf(row.id);
        return current.status === 'completed' ? current : undefined;
      },
      30_000,
      `run ${row.id} completed by the other runtime`,
    );
    expect(run).toMatchObject({ attempt: 1, result: { n: 1 } });
    await waitFor(
      async () => ((await rows('SELECT 1 FROM runtime.outbox')).length === 0 ? true : undefined),
      10_000,
      'the outbox emptied',
    );
  });

  it('delivers a replay whose gateway died after its row and before its message', async () => {
    const doomed = await service('webhook-gateway', proxied());
    const hook = (
      await api.post<Webhook>('/webhooks', {
        name: `handoff-${randomUUID().slice(0, 8)}`,
        url: receiver.on('/handoff', () => ({ status: 200 })),
        events: ['record.created'],
      })
    ).body;
    const tested = await api.post<{ deliveryId: string; delivered: boolean }>(`/webhooks/${hook.id}/test`);
    expect(tested.body.delivered).toBe(true);

    const { row: replay, answer } = await killAfterCommit(
      doomed,
      ['INSERT INTO webhooks.deliveries', 'COMMIT'],
      () => api.post<Delivery>(`/webhooks/${hook.id}/deliveries/${tested.body.deliveryId}/replay`),
      'SELECT id FROM webhooks.deliveries WHERE replay_of = $1',
      [tested.body.deliveryId],
    );
    expect(answer.status).toBe(503);

    await service('webhook-gateway');
    await waitFor(
      () => Promise.resolve(receiver.at('/handoff').length >= 2 ? true : undefined),
      30_000,
      'the replay delivered',
    );
    const [stored] = await rows<{ status: string; attempts: number }>(
      'SELECT status, attempts FROM webhooks.deliveries WHERE id = $1',
      [replay.id],
    );
    expect(stored).toEqual({ status: 'delivered', attempts: 1 });
    expect(receiver.at('/handoff')).toHaveLength(2);
  });
});
