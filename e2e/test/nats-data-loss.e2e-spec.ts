import { randomUUID } from 'node:crypto';

import type {
  ComputeFunction,
  FunctionRun,
  FunctionRunList,
  FunctionTrigger,
  TriggerSchedule,
} from '@signalbox/contracts';
import { queryDatabase, sleep, testToken, waitFor } from '@signalbox/testing';

import { ApiClient } from './support/http';
import { Platform } from './support/platform';
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
});
