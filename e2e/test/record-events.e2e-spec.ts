import { randomUUID } from 'node:crypto';

import type {
  ComputeFunction,
  DeadLetter,
  FunctionTrigger,
  RecordEventParams,
  RecordWebhookEvent,
  Replay,
  TriggerFiredEvent,
} from '@signalbox/contracts';
import { RecordEventNames, Streams, Subjects } from '@signalbox/contracts';
import { Platform, queryDatabase, ServiceProcess, sleep, testToken, waitFor } from '@signalbox/testing';

import { ApiClient } from './support/http';
import { publishFromProcess, readStream } from './support/record-events';

interface RunRow extends Record<string, unknown> {
  id: string;
  trigger_id: string;
  status: string;
  attempt: number;
  execution_params: RecordEventParams;
  result: { event: RecordEventParams; trigger: Record<string, unknown> } | null;
  started_at: Date;
}

/**
 * Record events published on NATS by a separate process fire event-driven triggers: the whole path of
 * the router (index, filter, deterministic run ids, dead letters, replay) with the real services.
 */
describe('event-router: record events fire event-driven triggers', () => {
  let platform: Platform;
  let api: ApiClient;
  let natsUrl: string;
  let functionId: string;

  const runsOf = (triggerId: string) =>
    queryDatabase<RunRow>(
      platform.database.url,
      'SELECT * FROM runtime.runs WHERE trigger_id = $1 ORDER BY started_at',
      [triggerId],
    );

  const waitForRuns = async (triggerId: string, count: number, timeoutMs = 30_000) => {
    try {
      return await waitFor(
        async () => {
          const runs = await runsOf(triggerId);
          return runs.length >= count && runs.every((run) => run.status === 'completed') ? runs : undefined;
        },
        timeoutMs,
        `${count} completed runs of trigger ${triggerId}`,
      );
    } catch (error) {
      const statuses = await queryDatabase<{ status: string; attempt: number; n: number }>(
        platform.database.url,
        'SELECT status, attempt, count(*)::int AS n FROM runtime.runs WHERE trigger_id = $1 GROUP BY 1, 2',
        [triggerId],
      );
      throw new Error(
        `${error instanceof Error ? error.message : String(error)}; runs now: ${JSON.stringify(statuses)}`,
        { cause: error },
      );
    }
  };

  const createTrigger = async (metadata: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const response = await api.post<FunctionTrigger>('/function-triggers', {
      name: `t-${randomUUID().slice(0, 8)}`,
      functionId,
      executionType: 'event-driven',
      triggerMetadata: metadata,
      ...extra,
    });
    expect(response.status).toBe(201);
    return response.body;
  };

  const event = (
    name: string,
    recordSlug: string,
    recordId: string,
    data: Record<string, unknown>,
    eventId = randomUUID(),
  ) => ({
    subject: Subjects.recordEvent('acme', recordSlug, name),
    msgId: eventId,
    body: {
      eventId,
      event: name,
      workspaceSlug: 'acme',
      recordSlug,
      recordId,
      data,
      timestamp: new Date().toISOString(),
    },
  });

  const metric = async (service: ServiceProcess, outcome: string) => {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('signalbox_record_events_total') && l.includes(`outcome="${outcome}"`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  beforeAll(async () => {
    platform = await Platform.start({
      only: ['data-service', 'event-router', 'compute-runtime'],
      env: { NATS_ACK_WAIT_MS: '3000' },
    });
    natsUrl = platform.nats.url;
    api = new ApiClient(
      `${platform.service('data-service').url}/workspace/acme/api/v1`,
      testToken({ workspaces: ['acme'], permissions: ['*'], subject: 'alice' }),
    );
    const fn = await api.post<ComputeFunction>('/compute-functions', {
      name: 'echo-event',
      code: 'async function run() { return { event: executionParams, trigger: triggerParams }; }',
    });
    expect(fn.status).toBe(201);
    functionId = fn.body.id;
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('fires on each of the eight events, with the event as executionParams and the params as triggerParams', async () => {
    const triggers = await Promise.all(
      RecordEventNames.map((name) => createTrigger({ event: name, recordSlug: 'invoices', params: { on: name } })),
    );
    await sleep(300);
    const published = await publishFromProcess(natsUrl, {
      messages: RecordEventNames.map((name) => event(name, 'invoices', `inv-${name}`, { amount: 5, name })),
    });
    expect(published).toMatchObject({ published: 8, duplicates: 0 });

    for (const [i, trigger] of triggers.entries()) {
      const [run] = await waitForRuns(trigger.id, 1);
      const name = RecordEventNames[i];
      expect(run.result?.trigger).toEqual({ on: name });
      expect(run.result?.event).toMatchObject({
        event: name,
        workspaceSlug: 'acme',
        recordSlug: 'invoices',
        recordId: `inv-${name}`,
        data: { amount: 5, name },
        isReplay: false,
        eventId: expect.any(String),
        timestamp: expect.any(String),
        sequence: expect.any(Number),
      });
    }
    await sleep(500);
    // One run each: no trigger fired for another event of the same record type.
    for (const trigger of triggers) expect(await runsOf(trigger.id)).toHaveLength(1);
  });

  it('yields record.* webhook events (none for *_failed) and one trigger.fired per run', async () => {
    const trigger = await createTrigger({ event: 'record_updated', recordSlug: 'hooks' });
    await sleep(300);
    const updated = event('record_updated', 'hooks', 'h-1', { state: 'new' });
    const failed = event('record_updated_failed', 'hooks', 'h-1', { state: 'bad' });
    await publishFromProcess(natsUrl, { messages: [updated, failed] });
    const [run] = await waitForRuns(trigger.id, 1);

    const records = await readStream<RecordWebhookEvent>(natsUrl, Streams.platformEvents.name, 'events.acme.record.>');
    const mine = records.filter((message) => message.body.data.structure === 'hooks');
    expect(mine).toEqual([
      {
        subject: 'events.acme.record.updated',
        body: {
          id: `record.acme.${updated.body.eventId}`,
          event: 'record.updated',
          workspace: 'acme',
          timestamp: updated.body.timestamp,
          data: { structure: 'hooks', recordId: 'h-1', record: { state: 'new' } },
        },
      },
    ]);
    const fired = await readStream<TriggerFiredEvent>(
      natsUrl,
      Streams.platformEvents.name,
      'events.acme.trigger.fired',
    );
    const forTrigger = fired.filter((message) => message.body.data.triggerId === trigger.id);
    expect(forTrigger).toHaveLength(1);
    expect(forTrigger[0].body).toMatchObject({
      id: `fired.${run.id}`,
      event: 'trigger.fired',
      data: { runId: run.id, functionId, executionType: 'event-driven', source: { eventId: updated.body.eventId } },
    });
  });

  it('starts one run for an event published twice, whether JetStream or the run id de-duplicates it', async () => {
    const trigger = await createTrigger({ event: 'record_created', recordSlug: 'dupes' });
    await sleep(300);
    const once = event('record_created', 'dupes', 'd-1', { n: 1 });
    // Same Nats-Msg-Id (dropped by JetStream), then the same eventId under another Nats-Msg-Id (stored
    // twice; the deterministic run id keeps it to one run).
    const result = await publishFromProcess(natsUrl, {
      messages: [once, once, { ...once, msgId: `${once.msgId}-retry` }],
    });
    expect(result).toMatchObject({ published: 3, duplicates: 1 });
    await waitForRuns(trigger.id, 1);
    await sleep(1_500);
    const runs = await runsOf(trigger.id);
    expect(runs).toHaveLength(1);
    expect(runs[0].attempt).toBe(1);
  });

  it('runs only triggers whose filter matches the record data', async () => {
    const big = await createTrigger({ event: 'record_created', recordSlug: 'orders', filter: { total: { $gt: 100 } } });
    const eu = await createTrigger({
      event: 'record_created',
      recordSlug: 'orders',
      filter: { 'customer.country': { $in: ['DE', 'FR'] } },
    });
    await sleep(300);
    await publishFromProcess(natsUrl, {
      messages: [
        event('record_created', 'orders', 'o-1', { total: 500, customer: { country: 'US' } }),
        event('record_created', 'orders', 'o-2', { total: 50, customer: { country: 'DE' } }),
        event('record_created', 'orders', 'o-3', { total: 10, customer: { country: 'US' } }),
      ],
    });
    const [bigRun] = await waitForRuns(big.id, 1);
    const [euRun] = await waitForRuns(eu.id, 1);
    await sleep(1_000);
    expect(await runsOf(big.id)).toHaveLength(1);
    expect(await runsOf(eu.id)).toHaveLength(1);
    expect(bigRun.execution_params.recordId).toBe('o-1');
    expect(euRun.execution_params.recordId).toBe('o-2');

    const refused = await api.post('/function-triggers', {
      name: 'unsafe',
      functionId,
      executionType: 'event-driven',
      triggerMetadata: { event: 'record_created', recordSlug: 'orders', filter: { $where: 'this.total > 1' } },
    });
    expect(refused.status).toBe(400);
  });

  it('follows create, disable, enable and delete within a second while events flow', async () => {
    const rate = 40;
    const seconds = 12;
    const flow = publishFromProcess(natsUrl, {
      burst: {
        workspace: 'acme',
        recordSlug: 'stream',
        event: 'record_created',
        count: rate * seconds,
        prefix: `flow-${randomUUID()}`,
        ratePerSecond: rate,
        report: true,
      },
    });
    const marks: Array<{ at: number; enabled: boolean }> = [{ at: Date.now(), enabled: false }];
    await sleep(1_500);
    const trigger = await createTrigger({ event: 'record_created', recordSlug: 'stream' });
    marks.push({ at: Date.now(), enabled: true });
    await sleep(3_000);
    expect((await api.post(`/function-triggers/${trigger.id}/disable`)).status).toBe(200);
    marks.push({ at: Date.now(), enabled: false });
    await sleep(3_000);
    expect((await api.post(`/function-triggers/${trigger.id}/enable`)).status).toBe(200);
    marks.push({ at: Date.now(), enabled: true });
    await sleep(3_000);
    expect((await api.delete(`/function-triggers/${trigger.id}`)).status).toBe(200);
    marks.push({ at: Date.now(), enabled: false });
    const { sent } = await flow;
    await sleep(2_000);

    const fired = new Set((await runsOf(trigger.id)).map((run) => run.execution_params.eventId));
    const stateAt = (at: number) => [...marks].reverse().find((mark) => mark.at <= at)!;
    let checked = 0;
    for (const { eventId, at } of sent) {
      // Within a second of a change (either side: the router may route an event a moment after it was
      // published), either outcome is allowed.
      if (marks.slice(1).some((mark) => Math.abs(at - mark.at) < 1_000)) continue;
      const mark = stateAt(at);
      expect({ eventId, fired: fired.has(eventId) }).toEqual({ eventId, fired: mark.enabled });
      checked++;
    }
    expect(checked).toBeGreaterThan(rate * 2.5);
  });

  it('dead-letters malformed messages with the reason and the subject, acks them, and goes on', async () => {
    const router = platform.service('event-router');
    const before = await metric(router, 'dead_lettered');
    const trigger = await createTrigger({ event: 'record_deleted', recordSlug: 'after-bad' });
    await sleep(300);
    const good = event('record_deleted', 'after-bad', 'ab-1', {});
    await publishFromProcess(natsUrl, {
      messages: [
        { subject: 'records.acme.bad.record_created', body: 'this is {not json' },
        {
          subject: 'records.acme.bad.record_created',
          body: { event: 'record_created', workspaceSlug: 'acme', recordSlug: 'bad' },
        },
        { subject: 'records.acme.bad.record_created', body: { ...good.body, event: 'record_made' } },
        { subject: 'records.acme.other.record_deleted', body: good.body },
        good,
      ],
    });
    await waitForRuns(trigger.id, 1);
    const letters = await waitFor(
      async () => {
        const all = await readStream<DeadLetter>(natsUrl, Streams.deadLetters.name);
        return all.length >= 4 ? all : undefined;
      },
      10_000,
      'four dead letters',
    );
    expect(letters.map((l) => l.subject)).toEqual(Array(4).fill(Subjects.deadLetterRecords));
    const [notJson, missing, unknownEvent, mismatch] = letters.map((l) => l.body);
    expect(notJson).toMatchObject({
      subject: 'records.acme.bad.record_created',
      body: 'this is {not json',
      reason: expect.stringMatching(/^not JSON/),
    });
    expect(missing.reason).toMatch(/must have required property 'recordId'/);
    expect(unknownEvent.reason).toMatch(/record-event schema/);
    expect(mismatch).toMatchObject({
      subject: 'records.acme.other.record_deleted',
      reason: 'subject says recordSlug "other" but the body says "after-bad"',
    });
    expect((await metric(router, 'dead_lettered')) - before).toBe(4);
  });

  it('accepts events over HTTP (POST /events) exactly as from NATS', async () => {
    const trigger = await createTrigger({ event: 'record_restored', recordSlug: 'http' });
    await sleep(300);
    const eventId = randomUUID();
    const body = { eventId, event: 'record_restored', recordSlug: 'http', recordId: 'r-9', data: { back: true } };
    const first = await api.post<{ eventId: string; duplicate: boolean; subject: string }>('/events', body);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ eventId, duplicate: false, subject: 'records.acme.http.record_restored' });
    const again = await api.post<{ duplicate: boolean }>('/events', body);
    expect(again.body.duplicate).toBe(true);
    const [run] = await waitForRuns(trigger.id, 1);
    expect(run.execution_params).toMatchObject({ ...body, workspaceSlug: 'acme', timestamp: expect.any(String) });

    const bad = await api.post<{ error: { code: string; message: string } }>('/events', {
      ...body,
      event: 'record_made',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    const forbidden = await api
      .as(testToken({ workspaces: ['acme'], permissions: ['events:read'] }))
      .post('/events', body);
    expect(forbidden.status).toBe(403);
    await sleep(500);
    expect(await runsOf(trigger.id)).toHaveLength(1);
  });

  it('hands the function the record data with its keys in the order the publisher sent them', async () => {
    const trigger = await createTrigger({ event: 'record_created', recordSlug: 'key-order' });
    await sleep(300);
    const data = { zeta: 1, alpha: { y: 1, b: 2 }, mid: [{ d: 1, c: 2 }] };
    await api.post('/events', { event: 'record_created', recordSlug: 'key-order', recordId: 'k-1', data });
    const [run] = await waitForRuns(trigger.id, 1);
    const sent = JSON.stringify(data);
    expect(JSON.stringify(run.execution_params.data)).toBe(sent);
    expect(JSON.stringify((run.result as { event: { data: unknown } }).event.data)).toBe(sent);
  });

  it('gives every run of a record the stream sequence, increasing in publish order', async () => {
    const trigger = await createTrigger({ event: 'record_updated', recordSlug: 'ordered' });
    await sleep(300);
    const updates = Array.from({ length: 30 }, (_, version) =>
      event('record_updated', 'ordered', 'same-record', { version }),
    );
    await publishFromProcess(natsUrl, { messages: updates });
    const runs = await waitForRuns(trigger.id, 30);
    const bySequence = [...runs].sort((a, b) => a.execution_params.sequence - b.execution_params.sequence);
    expect(bySequence.map((run) => run.execution_params.data['version'])).toEqual(updates.map((_, version) => version));
  });

  it('replays an event-driven trigger over a past window with new run ids', async () => {
    const since = new Date(Date.now() - 1_000).toISOString();
    const trigger = await createTrigger({ event: 'record_reverted', recordSlug: 'replayed', filter: { keep: true } });
    await sleep(300);
    await publishFromProcess(natsUrl, {
      messages: [
        event('record_reverted', 'replayed', 'x-1', { keep: true }),
        event('record_reverted', 'replayed', 'x-2', { keep: false }),
        event('record_reverted', 'replayed', 'x-3', { keep: true }),
      ],
    });
    const originals = await waitForRuns(trigger.id, 2);

    const started = await api.post<Replay>(`/function-triggers/${trigger.id}/replay`, { since });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ status: 'accepted', triggerId: trigger.id, since });
    const done = await waitFor(
      async () => {
        const replay = (await api.get<Replay>(`/function-triggers/${trigger.id}/replays/${started.body.replayId}`))
          .body;
        return replay.status === 'completed' ? replay : undefined;
      },
      15_000,
      'the replay to complete',
    );
    expect(done).toMatchObject({ scanned: 3, matched: 2, error: null });
    const all = await waitForRuns(trigger.id, 4);
    expect(all).toHaveLength(4);
    const replayed = all.filter((run) => run.execution_params.isReplay);
    expect(replayed.map((run) => run.execution_params.recordId).sort()).toEqual(['x-1', 'x-3']);
    expect(replayed.every((run) => run.execution_params.replayId === started.body.replayId)).toBe(true);
    expect(replayed.map((run) => run.id)).not.toContain(originals[0].id);

    const onDemand = await api.post<FunctionTrigger>('/function-triggers', {
      name: 'od',
      functionId,
      executionType: 'on-demand',
    });
    expect((await api.post(`/function-triggers/${onDemand.body.id}/replay`, { since })).status).toBe(409);
    expect(
      (await api.post(`/function-triggers/${trigger.id}/replay`, { since: new Date().toISOString(), until: since }))
        .status,
    ).toBe(400);
    expect((await api.post(`/function-triggers/${randomUUID()}/replay`, { since })).status).toBe(404);
    expect((await api.get(`/function-triggers/${trigger.id}/replays/${randomUUID()}`)).status).toBe(404);
  });

  it('shares the load between two router replicas', async () => {
    const trigger = await createTrigger({ event: 'record_created', recordSlug: 'shared' });
    const second = await ServiceProcess.create('event-router', {
      DATABASE_URL: platform.database.url,
      NATS_URL: natsUrl,
      NATS_ACK_WAIT_MS: '3000',
    });
    second.start();
    try {
      await second.waitReady();
      const first = platform.service('event-router');
      const [before1, before2] = [await metric(first, 'routed'), await metric(second, 'routed')];
      await publishFromProcess(natsUrl, {
        burst: {
          workspace: 'acme',
          recordSlug: 'shared',
          event: 'record_created',
          count: 2_000,
          prefix: `shared-${randomUUID()}`,
        },
      });
      const runs = await waitForRuns(trigger.id, 2_000, 60_000);
      expect(runs).toHaveLength(2_000);
      const share1 = (await metric(first, 'routed')) - before1;
      const share2 = (await metric(second, 'routed')) - before2;
      expect(share1 + share2).toBe(2_000);
      expect(share1).toBeGreaterThan(0);
      expect(share2).toBeGreaterThan(0);
    } finally {
      await second.stop();
    }
  });

  it('survives kill -9 of the router mid-burst: every (event, trigger) pair runs exactly once', async () => {
    const a = await createTrigger({ event: 'record_created', recordSlug: 'burst' });
    const b = await createTrigger({ event: 'record_created', recordSlug: 'burst' });
    await sleep(300);
    const router = platform.service('event-router');
    const count = 5_000;
    const burst = publishFromProcess(natsUrl, {
      burst: {
        workspace: 'acme',
        recordSlug: 'burst',
        event: 'record_created',
        count,
        prefix: `burst-${randomUUID()}`,
        records: 500,
      },
    });
    await waitFor(
      async () => ((await runsOf(a.id)).length > 300 ? true : undefined),
      60_000,
      'the burst to be under way',
    );
    await router.stop('SIGKILL');
    await sleep(500);
    router.start();
    await router.waitReady();
    expect((await burst).published).toBe(count);

    const [runsA, runsB] = [await waitForRuns(a.id, count, 120_000), await waitForRuns(b.id, count, 120_000)];
    await sleep(4_000); // past the ack wait: anything redelivered has had its chance to run twice
    for (const runs of [await runsOf(a.id), await runsOf(b.id)]) {
      expect(runs).toHaveLength(count);
      expect(new Set(runs.map((run) => run.execution_params.eventId)).size).toBe(count);
      expect(runs.filter((run) => run.attempt !== 1 || run.status !== 'completed')).toEqual([]);
    }
    expect(runsA.length + runsB.length).toBe(2 * count);
  }, 300_000);
});
