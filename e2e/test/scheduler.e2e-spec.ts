import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type {
  ComputeFunction,
  FunctionTrigger,
  ScheduledRunParams,
  TriggerFiredEvent,
  TriggerSchedule,
} from '@signalbox/contracts';
import { Streams, Subjects, TRIGGER_FIRED_EVENT } from '@signalbox/contracts';
import { Platform, queryDatabase, ServiceProcess, sleep, testToken, waitFor } from '@signalbox/testing';

import { ApiClient } from './support/http';
import { readStream } from './support/record-events';

interface RunRow extends Record<string, unknown> {
  id: string;
  trigger_id: string;
  status: string;
  attempt: number;
  execution_params: ScheduledRunParams;
  started_at: Date | null;
  finished_at: Date | null;
}

const CLAIM_TIMEOUT_MS = 5_000;
const at = (iso: string) => Date.parse(iso);

/**
 * scheduler-service with real processes: several replicas fire every due time exactly once (also through a
 * kill -9), catch up per policy after downtime, apply changes at once, and follow the overlap policies.
 */
describe('scheduler-service: scheduled triggers fire exactly once per due time', () => {
  let platform: Platform;
  let api: ApiClient;
  let functionId: string;
  let slowFunctionId: string;
  let slowServer: Server;
  /** The scheduler processes running now (the platform's first one may be replaced by a test). */
  let schedulers: ServiceProcess[] = [];

  const env = () => ({
    DATABASE_URL: platform.database.url,
    NATS_URL: platform.nats.url,
    NATS_ACK_WAIT_MS: '3000',
    SCHEDULER_CLAIM_TIMEOUT_MS: String(CLAIM_TIMEOUT_MS),
  });

  const startScheduler = async (extra: Record<string, string> = {}) => {
    const scheduler = await ServiceProcess.create('scheduler-service', { ...env(), ...extra });
    scheduler.start();
    await scheduler.waitReady(30_000);
    schedulers.push(scheduler);
    return scheduler;
  };

  const runsOf = (triggerIds: readonly string[]) =>
    queryDatabase<RunRow>(
      platform.database.url,
      `SELECT * FROM runtime.runs WHERE trigger_id = ANY($1::uuid[]) ORDER BY execution_params->>'scheduledAt'`,
      [triggerIds],
    );

  /** Waits until every run of these triggers is finished and no new one appeared for a while. */
  const settledRuns = async (triggerIds: readonly string[], timeoutMs = 120_000) => {
    let previous = -1;
    return waitFor(
      async () => {
        const runs = await runsOf(triggerIds);
        const settled = runs.length === previous && runs.every((run) => run.status === 'completed');
        previous = runs.length;
        if (!settled) await sleep(1_000);
        return settled ? runs : undefined;
      },
      timeoutMs,
      'the runs to settle',
    );
  };

  const createTrigger = async (metadata: Record<string, unknown>, fn = functionId) => {
    const response = await api.post<FunctionTrigger>('/function-triggers', {
      name: `s-${randomUUID().slice(0, 8)}`,
      functionId: fn,
      executionType: 'scheduled',
      triggerMetadata: metadata,
    });
    expect(response.status).toBe(201);
    return response.body;
  };

  const setEnabled = async (id: string, enabled: boolean) => {
    const response = await api.post(`/function-triggers/${id}/${enabled ? 'enable' : 'disable'}`);
    expect(response.status).toBe(200);
    return Date.now();
  };

  const schedule = async (id: string) => {
    const response = await api.get<TriggerSchedule>(`/function-triggers/${id}/schedule`);
    expect(response.status).toBe(200);
    return response.body;
  };

  const byTrigger = (runs: readonly RunRow[]) => {
    const groups = new Map<string, RunRow[]>();
    for (const run of runs) groups.set(run.trigger_id, [...(groups.get(run.trigger_id) ?? []), run]);
    return groups;
  };

  const gapsOf = (runs: readonly RunRow[]) =>
    runs.slice(1).map((run, i) => at(run.execution_params.scheduledAt) - at(runs[i].execution_params.scheduledAt));

  const inBatches = async <T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>) => {
    const out: R[] = [];
    for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(work))));
    return out;
  };

  beforeAll(async () => {
    slowServer = createServer((_request, response) => {
      setTimeout(() => response.end('{"slow":true}'), 2_500);
    });
    await new Promise<void>((resolve) => slowServer.listen(0, '127.0.0.1', resolve));
    platform = await Platform.start({
      only: ['data-service', 'compute-runtime', 'scheduler-service'],
      env: {
        NATS_ACK_WAIT_MS: '3000',
        SCHEDULER_CLAIM_TIMEOUT_MS: String(CLAIM_TIMEOUT_MS),
        FETCH_ALLOWED_HOSTS: '127.0.0.1',
      },
    });
    schedulers = [platform.service('scheduler-service')];
    api = new ApiClient(
      `${platform.service('data-service').url}/workspace/acme/api/v1`,
      testToken({ workspaces: ['acme'], permissions: ['*'], subject: 'alice' }),
    );
    const fn = await api.post<ComputeFunction>('/compute-functions', {
      name: 'tick',
      code: 'async function run() { return { scheduledAt: executionParams.scheduledAt }; }',
    });
    expect(fn.status).toBe(201);
    functionId = fn.body.id;
    const { port } = slowServer.address() as AddressInfo;
    const slow = await api.post<ComputeFunction>('/compute-functions', {
      name: 'slow-tick',
      timeoutMs: 10_000,
      code: `async function run() { await api.fetch('http://127.0.0.1:${port}/'); return 1; }`,
    });
    expect(slow.status).toBe(201);
    slowFunctionId = slow.body.id;
  });

  afterAll(async () => {
    // The platform stops the scheduler it started; the ones started here are stopped here.
    for (const scheduler of schedulers) {
      if (scheduler !== platform?.service('scheduler-service')) await scheduler.stop();
    }
    await platform?.stop();
    slowServer?.close();
  });

  it('fires every due time of 200 one-second triggers exactly once with three schedulers, through a kill -9', async () => {
    await startScheduler();
    const victim = await startScheduler();
    const triggers = await inBatches(Array.from({ length: 200 }), 20, () => createTrigger({ interval: 1 }));
    const ids = triggers.map((trigger) => trigger.id);
    const createdAt = Date.now();

    await sleep(15_000);
    await victim.stop('SIGKILL');
    schedulers = schedulers.filter((scheduler) => scheduler !== victim);
    await sleep(15_000);
    const disabledAt = await inBatches(ids, 20, (id) => setEnabled(id, false));
    const lastDisable = Math.max(...disabledAt);

    const runs = await settledRuns(ids);
    const duplicates = await queryDatabase(
      platform.database.url,
      `SELECT trigger_id, execution_params->>'scheduledAt' AS due, count(*)::int AS n FROM runtime.runs
       WHERE trigger_id = ANY($1::uuid[]) GROUP BY 1, 2 HAVING count(*) > 1`,
      [ids],
    );
    expect(duplicates).toEqual([]);
    expect(runs.length).toBeGreaterThan(200 * 25);

    const groups = byTrigger(runs);
    expect(groups.size).toBe(200);
    const disabledAtOf = new Map(ids.map((id, i) => [id, disabledAt[i]]));
    for (const [id, own] of groups) {
      // Every due time from the first to the last fired: one second apart, none missing, up to the disable.
      expect(new Set(gapsOf(own))).toEqual(new Set([1000]));
      expect(at(own[0].execution_params.scheduledAt)).toBeLessThan(createdAt + 2_000);
      expect(at(own.at(-1)!.execution_params.scheduledAt)).toBeGreaterThan(disabledAtOf.get(id)! - 3_000);
    }
    // The kill left no gap longer than the claim timeout: no fire came later than that after its due time.
    const lateness = runs.map((run) => at(run.execution_params.firedAt) - at(run.execution_params.scheduledAt));
    expect(Math.max(...lateness)).toBeLessThan(CLAIM_TIMEOUT_MS);
    // Nothing fired once its trigger was disabled (allowing for the change to reach the schedulers).
    expect(runs.filter((run) => at(run.execution_params.firedAt) > lastDisable + 500)).toEqual([]);
    expect(runs[0].execution_params).toEqual({
      scheduledAt: expect.any(String),
      firedAt: expect.any(String),
      triggerId: runs[0].trigger_id,
      interval: 1,
    });
    expect(runs.every((run) => run.attempt === 1)).toBe(true);
    const missed = await queryDatabase(
      platform.database.url,
      `SELECT * FROM scheduler.fire_log WHERE trigger_id = ANY($1::uuid[]) AND reason <> 'disabled'`,
      [ids],
    );
    expect(missed).toEqual([]);
  }, 240_000);

  it('catches up after every scheduler was down, per trigger policy (none, one, all)', async () => {
    for (const scheduler of schedulers) await scheduler.stop();
    schedulers = [];
    await startScheduler({ SCHEDULER_MISFIRE_GRACE_MS: '2000' });
    const none = await createTrigger({ interval: 1, catchUp: 'none' });
    const one = await createTrigger({ interval: 1 }); // `one` is the default
    const all = await createTrigger({ interval: 1, catchUp: 'all' });
    const ids = [none.id, one.id, all.id];
    await waitFor(async () => ((await runsOf(ids)).length >= 9 ? true : undefined), 15_000, 'first fires');

    await schedulers[0].stop();
    schedulers = [];
    await sleep(10_000);
    await startScheduler({ SCHEDULER_MISFIRE_GRACE_MS: '2000' });
    await sleep(3_000);
    for (const id of ids) await setEnabled(id, false);

    const groups = byTrigger(await settledRuns(ids));
    const [noneRuns, oneRuns, allRuns] = ids.map((id) => groups.get(id) ?? []);
    const caughtUp = (runs: RunRow[]) => runs.filter((run) => run.execution_params.catchUp);

    expect(caughtUp(noneRuns)).toEqual([]);
    expect(Math.max(...gapsOf(noneRuns))).toBeGreaterThanOrEqual(6_000);
    const noneSchedule = await schedule(none.id);
    expect(noneSchedule.missed).toEqual(
      expect.arrayContaining([expect.objectContaining({ outcome: 'missed', reason: 'downtime' })]),
    );
    expect(noneSchedule.missed.find((entry) => entry.reason === 'downtime')!.count).toBeGreaterThanOrEqual(6);

    expect(caughtUp(oneRuns)).toHaveLength(1);
    expect(caughtUp(oneRuns)[0].execution_params.catchUp!.missed).toBeGreaterThanOrEqual(5);
    expect(Math.max(...gapsOf(oneRuns))).toBeGreaterThanOrEqual(5_000);

    expect(caughtUp(allRuns)).toEqual([]);
    expect(new Set(gapsOf(allRuns))).toEqual(new Set([1000]));
    const allLateness = allRuns.map((run) => at(run.execution_params.firedAt) - at(run.execution_params.scheduledAt));
    expect(Math.max(...allLateness)).toBeGreaterThan(5_000);
  }, 120_000);

  it('applies changes at once: a new interval, disable, enable and delete', async () => {
    const trigger = await createTrigger({ interval: 1 });
    await waitFor(async () => ((await runsOf([trigger.id])).length >= 2 ? true : undefined), 10_000, 'fires');

    const updated = await api.put<FunctionTrigger>(`/function-triggers/${trigger.id}`, {
      triggerMetadata: { interval: 2 },
    });
    expect(updated.status).toBe(200);
    const changedAt = Date.now();
    await sleep(7_000);
    const afterChange = (await runsOf([trigger.id])).filter(
      (run) => at(run.execution_params.firedAt) > changedAt + 1_000,
    );
    expect(afterChange.length).toBeGreaterThanOrEqual(2);
    expect(new Set(gapsOf(afterChange))).toEqual(new Set([2000]));

    const disabledAt = await setEnabled(trigger.id, false);
    expect((await schedule(trigger.id)).nextFireTimes).toEqual([]);
    await sleep(5_000);
    const runsWhileDisabled = (await runsOf([trigger.id])).filter(
      (run) => at(run.execution_params.firedAt) > disabledAt + 1_000,
    );
    expect(runsWhileDisabled).toEqual([]);

    await setEnabled(trigger.id, true);
    const resumed = await schedule(trigger.id);
    expect(resumed.enabled).toBe(true);
    expect(resumed.missed[0]).toMatchObject({ outcome: 'skipped', reason: 'disabled' });
    expect(resumed.missed[0].count).toBeGreaterThanOrEqual(2);
    const enabledAt = Date.now();
    await waitFor(
      async () =>
        (await runsOf([trigger.id])).some((run) => at(run.execution_params.firedAt) > enabledAt) ? true : undefined,
      10_000,
      'a fire after enabling',
    );

    expect((await api.delete(`/function-triggers/${trigger.id}`)).status).toBe(200);
    const deletedAt = Date.now();
    await sleep(4_000);
    const runsAfterDelete = (await runsOf([trigger.id])).filter(
      (run) => at(run.execution_params.firedAt) > deletedAt + 1_000,
    );
    expect(runsAfterDelete).toEqual([]);
    const rows = await queryDatabase(platform.database.url, 'SELECT 1 FROM scheduler.schedules WHERE trigger_id = $1', [
      trigger.id,
    ]);
    expect(rows).toEqual([]);
  }, 60_000);

  it('fires a cron on the wall clock of its time zone, shows the schedule and announces trigger.fired', async () => {
    const trigger = await createTrigger({ cron: '*/2 * * * * *', timezone: 'America/New_York' });
    const runs = await waitFor(
      async () => {
        const found = await runsOf([trigger.id]);
        return found.filter((run) => run.status === 'completed').length >= 2 ? found : undefined;
      },
      15_000,
      'two cron fires',
    );
    for (const run of runs) {
      expect(new Date(run.execution_params.scheduledAt).getUTCSeconds() % 2).toBe(0);
      expect(run.execution_params).toMatchObject({ cron: '*/2 * * * * *', timezone: 'America/New_York' });
    }
    const state = await schedule(trigger.id);
    expect(state.nextFireTimes).toHaveLength(10);
    expect(new Set(state.nextFireTimes.slice(1).map((time, i) => at(time) - at(state.nextFireTimes[i])))).toEqual(
      new Set([2000]),
    );
    expect(state.lastFire).toEqual({
      scheduledAt: expect.any(String),
      firedAt: expect.any(String),
      runId: expect.any(String),
    });
    await setEnabled(trigger.id, false);

    const fired = await readStream<TriggerFiredEvent>(
      platform.nats.url,
      Streams.platformEvents.name,
      Subjects.platformEvent('acme', TRIGGER_FIRED_EVENT),
    );
    const ours = fired.filter((message) => message.body.data.triggerId === trigger.id);
    expect(ours.length).toBeGreaterThanOrEqual(2);
    expect(ours[0].body).toMatchObject({
      id: `fired.${ours[0].body.data.runId}`,
      data: { executionType: 'scheduled', source: { cron: '*/2 * * * * *' } },
    });

    // 09:00 in Berlin is 08:00Z in winter and 07:00Z in summer.
    const daily = await createTrigger({ cron: '0 9 * * *', timezone: 'Europe/Berlin' });
    const next = (await schedule(daily.id)).nextFireTimes;
    expect(next).toHaveLength(10);
    for (const time of next) {
      const local = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Berlin',
        hour: '2-digit',
        minute: '2-digit',
      }).format(new Date(time));
      expect(local).toBe('09:00');
    }
  }, 60_000);

  it('follows the overlap policies: skip and buffer-one never run two at once', async () => {
    const skip = await createTrigger({ interval: 1, overlap: 'skip' }, slowFunctionId);
    const buffer = await createTrigger({ interval: 1, overlap: 'buffer-one' }, slowFunctionId);
    await sleep(10_000);
    await setEnabled(skip.id, false);
    await setEnabled(buffer.id, false);
    const groups = byTrigger(await settledRuns([skip.id, buffer.id]));

    for (const id of [skip.id, buffer.id]) {
      const runs = [...(groups.get(id) ?? [])].sort((a, b) => a.started_at!.getTime() - b.started_at!.getTime());
      expect(runs.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < runs.length; i++) {
        expect(runs[i].started_at!.getTime()).toBeGreaterThanOrEqual(runs[i - 1].finished_at!.getTime());
      }
    }
    expect((await schedule(skip.id)).missed).toEqual(
      expect.arrayContaining([expect.objectContaining({ outcome: 'skipped', reason: 'overlap' })]),
    );
    // buffer-one: the runs after the first stood in the buffer, so they fired well after their due time.
    const buffered = (groups.get(buffer.id) ?? []).slice(1);
    expect(buffered.length).toBeGreaterThan(0);
    for (const run of buffered) {
      expect(at(run.execution_params.firedAt) - at(run.execution_params.scheduledAt)).toBeGreaterThan(1_000);
    }
  }, 60_000);

  it('answers the schedule only for scheduled triggers of the workspace', async () => {
    const onDemand = await api.post<FunctionTrigger>('/function-triggers', {
      name: `od-${randomUUID().slice(0, 8)}`,
      functionId,
      executionType: 'on-demand',
    });
    expect((await api.get(`/function-triggers/${onDemand.body.id}/schedule`)).status).toBe(409);
    expect((await api.get(`/function-triggers/${randomUUID()}/schedule`)).status).toBe(404);
    const scheduled = await createTrigger({ interval: 3600 });
    const stranger = new ApiClient(
      `${platform.service('data-service').url}/workspace/globex/api/v1`,
      testToken({ workspaces: ['globex'], permissions: ['*'], subject: 'eve' }),
    );
    expect((await stranger.get(`/function-triggers/${scheduled.id}/schedule`)).status).toBe(404);
    expect((await schedule(scheduled.id)).nextFireTimes[0]).toBeDefined();
  });
});
