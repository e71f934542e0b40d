import { randomUUID } from 'node:crypto';

import type {
  ComputeFunction,
  FunctionRun,
  FunctionRunList,
  FunctionTrigger,
  TriggerSchedule,
} from '@signalbox/contracts';
import { Platform, queryDatabase, sleep, testToken, waitFor } from '@signalbox/testing';

import { ApiClient } from './support/http';
import { publishFromProcess } from './support/record-events';

/**
 * NATS comes back without its data (new volumes, a reinstalled cluster) while data-service is down: the config
 * buckets are empty, and empty must not read as "no triggers".
 */
describe('NATS losing its data', () => {
  let platform: Platform;
  let api: ApiClient;

  beforeAll(async () => {
    platform = await Platform.start({ only: ['data-service', 'compute-runtime', 'scheduler-service', 'event-router'] });
    api = new ApiClient(
      `${platform.service('data-service').url}/workspace/acme/api/v1`,
      testToken({ workspaces: ['acme'], permissions: ['*'] }),
    );
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('keeps schedules and routes events with the config it held until data-service refills the buckets', async () => {
    const fn = (
      await api.post<ComputeFunction>('/compute-functions', {
        name: 'keep',
        code: 'async function run() { return { eventId: executionParams.eventId ?? null }; }',
      })
    ).body;
    const trigger = (body: Record<string, unknown>) =>
      api.post<FunctionTrigger>('/function-triggers', {
        name: `t-${randomUUID().slice(0, 8)}`,
        functionId: fn.id,
        ...body,
      });
    const hourly = (await trigger({ executionType: 'scheduled', triggerMetadata: { interval: 3600 } })).body;
    const onOrder = (
      await trigger({
        executionType: 'event-driven',
        triggerMetadata: { event: 'record_created', recordSlug: 'orders' },
      })
    ).body;
    const firstDue = await waitFor(
      async () => (await api.get<TriggerSchedule>(`/function-triggers/${hourly.id}/schedule`)).body.nextFireTimes?.[0],
      10_000,
      'the schedule',
    );

    const dataService = platform.service('data-service');
    await dataService.stop();
    await platform.nats.wipe();
    await platform.nats.start();
    await sleep(3_000); // the other services reconnect and declare empty streams and buckets

    // The scheduler did not take the empty bucket for "every trigger was deleted".
    const rows = await queryDatabase(platform.database.url, 'SELECT trigger_id FROM scheduler.schedules');
    expect(rows.map((row) => row['trigger_id'])).toEqual([hourly.id]);
    // The router still routes by what it held (an event it acked as unrouted would be gone for good).
    const eventId = `evt-${randomUUID()}`;
    await publishFromProcess(platform.nats.url, {
      messages: [
        {
          subject: 'records.acme.orders.record_created',
          body: {
            eventId,
            event: 'record_created',
            workspaceSlug: 'acme',
            recordSlug: 'orders',
            recordId: 'r1',
            data: {},
          },
          msgId: eventId,
        },
      ],
    });

    dataService.start();
    await dataService.waitReady();
    const completed = await waitFor(
      async () => {
        const { runs } = (await api.get<FunctionRunList>(`/function-runs?triggerId=${onOrder.id}`)).body;
        return runs.find((candidate) => candidate.status === 'completed');
      },
      20_000,
      'the event-driven run',
    );
    const run = (await api.get<FunctionRun>(`/function-runs/${completed.jobId}`)).body;
    expect(run.result).toEqual({ eventId });
    const schedule = (await api.get<TriggerSchedule>(`/function-triggers/${hourly.id}/schedule`)).body;
    expect(schedule.nextFireTimes[0]).toBe(firstDue); // not rescheduled from scratch
  });

  it('skips and reports a stored trigger too large for its bucket, and the others are published around it', async () => {
    const fn = (
      await api.post<ComputeFunction>('/compute-functions', {
        name: 'around',
        code: 'async function run() { return { big: typeof triggerParams.big }; }',
      })
    ).body;
    const create = async () =>
      (
        await api.post<FunctionTrigger>('/function-triggers', {
          name: `t-${randomUUID().slice(0, 8)}`,
          functionId: fn.id,
          executionType: 'on-demand',
          triggerMetadata: {},
        })
      ).body;
    const [small, large] = [await create(), await create()];

    const dataService = platform.service('data-service');
    await dataService.stop();
    // An earlier release stored it (it took configs up to the body limit); sealed, it no longer fits one message.
    await queryDatabase(
      platform.database.url,
      `UPDATE data.function_triggers SET trigger_metadata = $2, updated_at = now() WHERE id = $1`,
      [large.id, JSON.stringify({ params: { big: 'z'.repeat(1_100_000) } })],
    );
    await platform.nats.wipe();
    await platform.nats.start();
    dataService.start();
    await dataService.waitReady();

    await waitFor(
      () => Promise.resolve(dataService.logs.includes(`triggers/acme.${large.id} is`) ? true : undefined),
      20_000,
      'the skipped key to be reported',
    );
    // 45 s: the run of a trigger the execution plane does not hold fails only once the runtime's 10 s config grace
    // has passed, and a loaded machine (CI) can take longer than the 10 s left of a 20 s wait (seen once).
    const ran = async (triggerId: string) => {
      // Until compute-runtime is back on the restarted NATS, execute answers 503 (nothing accepted; retry), as a
      // client would retry it.
      const jobId = await waitFor(
        async () => {
          const response = await api.post<{ jobId?: string }>(`/function-triggers/${triggerId}/execute`, {});
          if (response.status === 503) return undefined;
          expect(response.status).toBe(200);
          return response.body.jobId;
        },
        20_000,
        `an accepted execute of ${triggerId}`,
      );
      return waitFor(
        async () => {
          const run = (await api.get<FunctionRun>(`/function-runs/${jobId}`)).body;
          return ['completed', 'failed'].includes(run.status) ? run : undefined;
        },
        45_000,
        `the run of ${triggerId}`,
      );
    };
    expect(await ran(small.id)).toMatchObject({ status: 'completed', result: { big: 'undefined' } });
    // Not run with no params: the execution plane does not hold it, so its runs fail and say why.
    expect(await ran(large.id)).toMatchObject({ status: 'failed', error: { name: 'TriggerNotFound' } });
  });
});
