import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { ComputeFunction, FunctionRun, FunctionRunEvent, FunctionTrigger } from '@signalbox/contracts';
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
import { readStream } from './support/record-events';
import { runUntil } from './support/runs';

/**
 * What the functions of these tests call while they run: `GET /hold?key=K&id=I&ms=N` answers after N ms, and the
 * server records, per key, how many runs were inside such a call at once (a run killed mid-call leaves when its
 * connection closes). So the overlap is measured outside the platform, as a user would see it.
 */
class HoldServer {
  readonly starts: Array<{ key: string; id: string; at: number }> = [];
  private readonly inside = new Map<string, number>();
  readonly most = new Map<string, number>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<HoldServer> {
    const holder: { hold?: HoldServer } = {};
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      const key = url.searchParams.get('key') ?? '';
      const hold = holder.hold!;
      hold.starts.push({ key, id: url.searchParams.get('id') ?? '', at: Date.now() });
      const now = (hold.inside.get(key) ?? 0) + 1;
      hold.inside.set(key, now);
      hold.most.set(key, Math.max(hold.most.get(key) ?? 0, now));
      let left = false;
      const leave = () => {
        if (left) return;
        left = true;
        hold.inside.set(key, (hold.inside.get(key) ?? 1) - 1);
      };
      const timer = setTimeout(
        () => {
          leave();
          response.end('ok');
        },
        Number(url.searchParams.get('ms') ?? '300'),
      );
      response.on('close', () => {
        clearTimeout(timer);
        leave();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    holder.hold = new HoldServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return holder.hold;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Flow control (docs/run-control.md) with the real data-service and two compute-runtime replicas: concurrency
 * limits per key that hold across replicas and through a SIGKILL, throttle, debounce, and why a run waits.
 */
describe('flow control', () => {
  let database: TestDatabase;
  let nats: NatsServerProcess;
  let env: Record<string, string>;
  let api: ApiClient;
  let hold: HoldServer;
  const processes: ServiceProcess[] = [];
  const runtimes: ServiceProcess[] = [];

  const runtime = async () => {
    const created = await ServiceProcess.create('compute-runtime', env);
    processes.push(created);
    runtimes.push(created);
    created.start();
    await created.waitReady();
    return created;
  };

  beforeAll(async () => {
    hold = await HoldServer.start();
    database = await createTestDatabase();
    nats = await NatsServerProcess.create();
    await nats.start();
    env = {
      DATABASE_URL: database.url,
      NATS_URL: nats.url,
      JWT_SECRET: TEST_JWT_SECRET,
      NATS_ACK_WAIT_MS: '2000',
      RUN_LEASE_MS: '2000',
      SANDBOX_WORKERS: '2',
      FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
    };
    const data = await ServiceProcess.create('data-service', env);
    processes.push(data);
    data.start();
    await data.waitReady();
    api = new ApiClient(`${data.url}/workspace/acme/api/v1`, testToken({ workspaces: ['acme'], permissions: ['*'] }));
    await Promise.all([runtime(), runtime()]);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await hold?.stop();
    await nats?.dispose();
    await database?.drop();
  });

  /** A function that holds `ms` at the hold server under the run's `key`, and answers its input's `n`. */
  const holdingFunction = async (ms: number) => {
    const response = await api.post<ComputeFunction>('/compute-functions', {
      name: `flow-${randomUUID().slice(0, 8)}`,
      timeoutMs: 20_000,
      code: `async function run() {
        const { key, n } = executionParams;
        await api.fetch('${hold.url}/hold?key=' + key + '&id=' + n + '&ms=${ms}');
        return { key, n };
      }`,
    });
    expect(response.status).toBe(201);
    return response.body;
  };
  const onDemandTrigger = async (fn: ComputeFunction, triggerMetadata: Record<string, unknown>) => {
    const response = await api.post<FunctionTrigger>('/function-triggers', {
      name: `flow-${randomUUID().slice(0, 8)}`,
      functionId: fn.id,
      executionType: 'on-demand',
      triggerMetadata,
    });
    expect(response.status).toBe(201);
    return response.body;
  };
  const execute = async (trigger: FunctionTrigger, body: Record<string, unknown>) => {
    const response = await api.post<{ jobId: string }>(`/function-triggers/${trigger.id}/execute`, body);
    expect(response.status).toBe(200);
    return response.body.jobId;
  };
  const runOf = async (jobId: string) => (await api.get<FunctionRun>(`/function-runs/${jobId}`)).body;
  const finalOf = (jobId: string, timeoutMs = 60_000) =>
    runUntil(api, jobId, ['completed', 'failed', 'timed_out', 'cancelled'], timeoutMs);
  const slotsOf = async (triggerId: string) =>
    (
      await queryDatabase<{ n: number }>(
        database.url,
        'SELECT count(*)::int AS n FROM runtime.flow_slots WHERE trigger_id = $1',
        [triggerId],
      )
    )[0].n;

  it('runs at most `limit` runs per key at once across two replicas, the rest waiting in order, and says why', async () => {
    const fn = await holdingFunction(400);
    const trigger = await onDemandTrigger(fn, { concurrency: { limit: 2, key: 'executionParams.key' } });
    const keyA = `a-${randomUUID().slice(0, 6)}`;
    const keyB = `b-${randomUUID().slice(0, 6)}`;
    const jobsA: string[] = [];
    for (let n = 1; n <= 10; n++) jobsA.push(await execute(trigger, { key: keyA, n }));
    const jobsB = await Promise.all([1, 2, 3].map((n) => execute(trigger, { key: keyB, n })));

    // The last of A's runs waits for a slot, and says so: the key, and its place in line.
    const waiting = await waitFor(
      async () => {
        const run = await runOf(jobsA[9]);
        return run.waitingFor?.reason === 'concurrency' ? run : undefined;
      },
      20_000,
      'the last run to wait for a concurrency slot',
    );
    expect(waiting.status).toBe('queued');
    expect(waiting.waitingFor).toMatchObject({ reason: 'concurrency', key: keyA });
    expect(waiting.waitingFor!.position).toBeGreaterThanOrEqual(1);
    const listed = await api.get<{ runs: FunctionRun[] }>(`/function-runs?triggerId=${trigger.id}&limit=50`);
    expect(listed.body.runs.some((run) => run.waitingFor?.reason === 'concurrency')).toBe(true);

    const finals = await Promise.all([...jobsA, ...jobsB].map((jobId) => finalOf(jobId)));
    expect(finals.map((run) => run.status)).toEqual(Array(13).fill('completed'));
    expect(finals.every((run) => run.waitingFor === null && run.attempt === 1)).toBe(true);
    expect(hold.most.get(keyA)).toBe(2); // the limit held, and was used
    expect(hold.most.get(keyB)).toBeLessThanOrEqual(2);
    // Each run went through once, in about the order they were queued (two slots free at once start in either
    // order, and the first runs race their claims on two replicas).
    const startsA = hold.starts.filter((start) => start.key === keyA).map((start) => Number(start.id));
    expect([...startsA].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    startsA.forEach((n, i) => expect(Math.abs(n - (i + 1))).toBeLessThanOrEqual(3));
    expect(await slotsOf(trigger.id)).toBe(0);
  });

  it('keeps a slot with a run whose runtime is killed with SIGKILL, and leaks none: the run goes on elsewhere', async () => {
    const fn = await holdingFunction(4_000);
    const trigger = await onDemandTrigger(fn, { concurrency: { limit: 1, key: 'executionParams.key' } });
    const key = `k-${randomUUID().slice(0, 6)}`;
    // One replica holds the first run: stop the other, and start a fresh one to take over after the kill.
    const [first, second] = runtimes.splice(0, 2);
    await second.stop('SIGTERM');
    const jobs: string[] = [];
    for (let n = 1; n <= 3; n++) jobs.push(await execute(trigger, { key, n }));
    await waitFor(
      () => Promise.resolve(hold.starts.some((start) => start.key === key) || undefined),
      20_000,
      'the first run to hold its slot',
    );
    await runtime();
    await first.stop('SIGKILL');

    const finals = await Promise.all(jobs.map((jobId) => finalOf(jobId)));
    expect(finals.map((run) => run.status)).toEqual(['completed', 'completed', 'completed']);
    expect(finals[0].attempt).toBe(2); // the killed attempt, then the one that finished
    expect(hold.most.get(key)).toBe(1);
    expect(await slotsOf(trigger.id)).toBe(0);
    await runtime(); // two replicas again for the tests after this one
  });

  it("keeps a cancelled run's slot until its sandbox has stopped it, then lets the next run in", async () => {
    const fn = await holdingFunction(8_000);
    const trigger = await onDemandTrigger(fn, { concurrency: { limit: 1, key: 'executionParams.key' } });
    const key = `x-${randomUUID().slice(0, 6)}`;
    const first = await execute(trigger, { key, n: 1 });
    await waitFor(
      () => Promise.resolve(hold.starts.some((start) => start.key === key) || undefined),
      20_000,
      'the first run to hold its slot',
    );
    const second = await execute(trigger, { key, n: 2 });
    await waitFor(
      async () => ((await runOf(second)).waitingFor?.reason === 'concurrency' ? true : undefined),
      10_000,
      'the second run to wait for the slot',
    );
    expect((await api.post(`/function-runs/${first}/cancel`, {})).status).toBe(200);
    const done = await finalOf(second);
    expect(done.status).toBe('completed');
    expect((await runOf(first)).status).toBe('cancelled');
    expect(hold.most.get(key)).toBe(1); // the second started only once the first had left its sandbox
    expect(await slotsOf(trigger.id)).toBe(0);

    // Stopped, the cancelled run can be retried: its next attempt takes the slot like any run.
    expect((await api.post(`/function-runs/${first}/retry`, {})).status).toBe(202);
    expect(await finalOf(first)).toMatchObject({ status: 'completed', attempt: 2 });
    expect(hold.most.get(key)).toBe(1);
    expect(await slotsOf(trigger.id)).toBe(0);
  });

  it('starts at most `limit` runs per period (throttle), the rest waiting until their start, none dropped', async () => {
    const fn = await holdingFunction(10);
    const trigger = await onDemandTrigger(fn, { throttle: { limit: 2, periodMs: 1000, key: 'executionParams.key' } });
    const key = `t-${randomUUID().slice(0, 6)}`;
    const jobs = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => execute(trigger, { key, n })));
    const throttled = await waitFor(
      async () => {
        for (const jobId of jobs) {
          const run = await runOf(jobId);
          if (run.waitingFor?.reason === 'throttle') return run;
        }
        return undefined;
      },
      10_000,
      'a run to wait for its throttled start',
    );
    expect(throttled.waitingFor).toMatchObject({ reason: 'throttle', key });
    expect(Date.parse(throttled.waitingFor!.until!)).toBeGreaterThan(Date.parse(throttled.queuedAt));

    const finals = await Promise.all(jobs.map((jobId) => finalOf(jobId)));
    expect(finals.map((run) => run.status)).toEqual(Array(6).fill('completed'));
    const starts = finals.map((run) => Date.parse(run.startedAt!)).sort((x, y) => x - y);
    for (const start of starts) {
      expect(starts.filter((at) => at >= start && at < start + 1000).length).toBeLessThanOrEqual(2);
    }
    expect(starts.at(-1)! - starts[0]).toBeGreaterThanOrEqual(2000); // 6 runs at 2 per second
  });

  it('turns a burst per key into one run with the last input (debounce), announcing none of the replaced runs', async () => {
    const fn = await holdingFunction(10);
    const trigger = await onDemandTrigger(fn, { debounce: { periodMs: 1500, key: 'executionParams.key' } });
    const key = `d-${randomUUID().slice(0, 6)}`;
    const other = `e-${randomUUID().slice(0, 6)}`;
    const burst: string[] = [];
    for (let n = 1; n <= 5; n++) burst.push(await execute(trigger, { key, n }));
    const alone = await execute(trigger, { key: other, n: 9 });
    expect((await runOf(burst[4])).waitingFor).toMatchObject({ reason: 'debounce', key });

    const finals = await Promise.all([...burst, alone].map((jobId) => finalOf(jobId)));
    expect(finals.map((run) => run.status)).toEqual([
      'cancelled',
      'cancelled',
      'cancelled',
      'cancelled',
      'completed',
      'completed',
    ]);
    expect(finals[4].result).toEqual({ key, n: 5 });
    expect(finals[5].result).toEqual({ key: other, n: 9 });
    expect(finals[0].error).toEqual({ name: 'Debounced', message: expect.stringMatching(/replaced this one: /) });
    expect(burst).toContain(finals[0].error!.message.split(': ')[1]);
    // A replaced run is not retried: its input is stale.
    const retry = await api.post<{ error: { code: string; message: string } }>(`/function-runs/${burst[0]}/retry`, {});
    expect(retry.status).toBe(409);
    expect(retry.body.error).toMatchObject({ code: 'INVALID_STATUS', message: expect.stringMatching(/debounce/) });
    expect(hold.starts.filter((start) => start.key === key).map((start) => start.id)).toEqual(['5']);

    const events = await readStream<FunctionRunEvent>(nats.url, 'PLATFORM_EVENTS', 'events.acme.function.*');
    const replaced = new Set(burst.slice(0, 4));
    expect(events.filter(({ body }) => replaced.has(body.data.runId))).toEqual([]);
  });

  describe('durable sleep', () => {
    /** Records `before` once in a step, sleeps, then records `after`: what ran again shows at the hold server. */
    const sleepingFunction = async (sleepMs: number) => {
      const response = await api.post<ComputeFunction>('/compute-functions', {
        name: `sleep-${randomUUID().slice(0, 8)}`,
        timeoutMs: 10_000,
        code: `async function run() {
          const { key } = executionParams;
          const before = await api.step('before', async () => {
            await api.fetch('${hold.url}/hold?ms=1&key=' + key + '&id=before');
            return { at: Date.now() };
          });
          await api.sleep(${sleepMs});
          await api.fetch('${hold.url}/hold?ms=1&key=' + key + '&id=after');
          return { before };
        }`,
      });
      expect(response.status).toBe(201);
      return response.body;
    };
    const executeDefault = async (fn: ComputeFunction, body: Record<string, unknown>) => {
      const response = await api.post<{ jobId: string }>(`/function-triggers/${fn.defaultTriggerId}/execute`, body);
      expect(response.status).toBe(200);
      return response.body.jobId;
    };
    const idsAt = (key: string) => hold.starts.filter((start) => start.key === key).map((start) => start.id);

    it('suspends a run (status sleeping), survives SIGKILL of every runtime, and resumes with its steps memoized', async () => {
      const fn = await sleepingFunction(4_000);
      const key = `s-${randomUUID().slice(0, 6)}`;
      const jobId = await executeDefault(fn, { key });
      const sleeping = await runUntil(api, jobId, ['sleeping'], 20_000);
      expect(sleeping.waitingFor).toMatchObject({ reason: 'sleep' });
      expect(Date.parse(sleeping.waitingFor!.until!)).toBeGreaterThan(Date.now());
      expect(sleeping.steps.map((step) => step.id)).toEqual(['before', 'sleep#1']);
      expect(idsAt(key)).toEqual(['before']);

      // Every runtime dies while it sleeps; a new one wakes it.
      const dead = runtimes.splice(0);
      await Promise.all(dead.map((replica) => replica.stop('SIGKILL')));
      await Promise.all([runtime(), runtime()]);

      const done = await finalOf(jobId);
      expect(done.status).toBe('completed');
      expect(done.attempt).toBe(1); // a sleep is not an attempt
      expect(done.result).toEqual({ before: sleeping.steps[0].output });
      expect(done.steps.map((step) => [step.id, step.memoized === true])).toEqual([
        ['before', true],
        ['sleep#1', true],
      ]);
      expect(idsAt(key)).toEqual(['before', 'after']); // the step did not run again
      expect(Date.parse(done.finishedAt!) - Date.parse(sleeping.waitingFor!.until!)).toBeGreaterThanOrEqual(-50);
    });

    it('cancels a sleeping run: it never wakes', async () => {
      const fn = await sleepingFunction(1_500);
      const key = `c-${randomUUID().slice(0, 6)}`;
      const jobId = await executeDefault(fn, { key });
      await runUntil(api, jobId, ['sleeping'], 20_000);
      const cancel = await api.post<{ status: string }>(`/function-runs/${jobId}/cancel`, {});
      expect(cancel.body).toEqual({ jobId, status: 'cancelled' });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect((await runOf(jobId)).status).toBe('cancelled');
      expect(idsAt(key)).toEqual(['before']);
    });

    it('refuses a sleep longer than 30 days with a clear error', async () => {
      const response = await api.post<ComputeFunction>('/compute-functions', {
        name: `sleep-${randomUUID().slice(0, 8)}`,
        code: 'async function run() { await api.sleep(31 * 86400000); }',
      });
      const run = await finalOf(await executeDefault(response.body, {}));
      expect(run.status).toBe('failed');
      expect(run.error).toMatchObject({ name: 'RangeError', message: expect.stringContaining('30 days') });
    });
  });
});
