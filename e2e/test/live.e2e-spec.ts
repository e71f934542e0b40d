import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { connect } from '@nats-io/transport-node';
import { eventRunId, Subjects } from '@signalbox/contracts';
import { type LiveEvent, type LiveRunEvent, Signalbox } from '@signalbox/sdk';
import { Platform, sleep, testToken, waitFor } from '@signalbox/testing';

/** What one open stream has received so far, parsed, and how to close it. */
async function openStream(baseUrl: string, workspace: string, token: string, query = '') {
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}/workspace/${workspace}/api/v1/live${query}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  const received: LiveEvent[] = [];
  let text = '';
  if (response.ok && response.body) {
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        for (const data of text.matchAll(/^data: (.*)$/gm)) received.push(JSON.parse(data[1] ?? '') as LiveEvent);
        text = text.slice(text.lastIndexOf('\n\n') + 2);
      }
    })().catch(() => undefined);
  }
  return { response, received, close: () => controller.abort() };
}

/**
 * `GET /live`: a workspace's run and delivery changes and routed record events as server-sent events, as they
 * happen, within its walls.
 */
describe('the live stream', () => {
  let platform: Platform;
  let baseUrl: string;
  let acme: Signalbox;
  const token = testToken({ workspaces: ['acme'], permissions: ['*'] });

  beforeAll(async () => {
    platform = await Platform.start({
      only: ['data-service', 'compute-runtime', 'webhook-gateway', 'event-router'],
      env: { LIVE_STREAMS_PER_WORKSPACE: '3', FETCH_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
    baseUrl = platform.service('data-service').url;
    acme = new Signalbox({ baseUrl, workspace: 'acme', token });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it("streams a run's changes as they happen: queued, running, completed; nothing of another workspace", async () => {
    const mine = await openStream(baseUrl, 'acme', token);
    const theirs = await openStream(baseUrl, 'globex', testToken({ workspaces: ['globex'] }));
    expect(mine.response.status).toBe(200);
    expect(mine.response.headers.get('content-type')).toContain('text/event-stream');
    try {
      const fn = await acme.functions.create({
        name: `live-${randomUUID().slice(0, 8)}`,
        code: 'async function run() { return 1; }',
      });
      const { jobId } = await acme.triggers.execute(fn.defaultTriggerId, {});
      const events = await waitFor(
        () => {
          const of = mine.received.filter((e): e is LiveRunEvent => e.type === 'run' && e.jobId === jobId);
          return Promise.resolve(of.some((e) => e.status === 'completed') ? of : undefined);
        },
        20_000,
        'the run to complete on the stream',
      );
      expect(events.map((e) => e.status)).toEqual(['queued', 'running', 'completed']);
      expect(events[0]).toMatchObject({
        type: 'run',
        jobId,
        functionId: fn.id,
        triggerId: fn.defaultTriggerId,
        attempt: 1,
      });
      expect(theirs.received).toEqual([]);
    } finally {
      mine.close();
      theirs.close();
    }
  });

  it('passes on only what the contract describes, whoever publishes on the subject', async () => {
    const stream = await openStream(baseUrl, 'acme', token);
    const nc = await connect({ servers: platform.nats.url });
    try {
      const forged = {
        type: 'run',
        jobId: randomUUID(),
        status: 'completed',
        triggerId: randomUUID(),
        functionId: randomUUID(),
        attempt: 1,
        nextAttemptAt: null,
        at: new Date().toISOString(),
      };
      nc.publish(Subjects.live('acme', 'run'), 'not json');
      nc.publish(Subjects.live('acme', 'run'), JSON.stringify({ ...forged, status: 'pwned\n\nevent: x' }));
      nc.publish(Subjects.live('acme', 'run'), JSON.stringify({ ...forged, extra: '<script>' }));
      nc.publish(Subjects.live('acme', 'run'), JSON.stringify(forged));
      await nc.flush();
      const seen = await waitFor(
        () => Promise.resolve(stream.received.length > 0 ? stream.received : undefined),
        10_000,
        'an event',
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen).toEqual([forged]);
    } finally {
      await nc.close();
      stream.close();
    }
  });

  it('streams only the topics the caller may read, and refuses an unknown one', async () => {
    const reader = testToken({ workspaces: ['acme'], permissions: ['function-runs:read'] });
    const refused = await openStream(baseUrl, 'acme', reader, '?topics=delivery');
    expect(refused.response.status).toBe(403);
    expect(((await refused.response.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    const unknown = await openStream(baseUrl, 'acme', token, '?topics=secrets');
    expect(unknown.response.status).toBe(400);
    const nobody = await openStream(
      baseUrl,
      'acme',
      testToken({ workspaces: ['acme'], permissions: ['compute-functions:read'] }),
    );
    expect(nobody.response.status).toBe(403);
    const anonymous = await fetch(`${baseUrl}/workspace/acme/api/v1/live`);
    expect(anonymous.status).toBe(401);
  });

  it('streams outbound delivery attempts, with their status and the next retry', async () => {
    let calls = 0;
    const receiver: Server = createServer((_request, response) => {
      calls++;
      response.statusCode = 500;
      response.end('no');
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const stream = await openStream(baseUrl, 'acme', token, '?topics=delivery');
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const hook = (await acme.webhooks.create({
        name: `h-${randomUUID().slice(0, 8)}`,
        url,
        events: ['function.completed'],
      })) as { id: string };
      const fn = await acme.functions.create({
        name: `announced-${randomUUID().slice(0, 8)}`,
        code: 'async function run() {}',
      });
      await acme.triggers.execute(fn.defaultTriggerId, {});
      const attempt = await waitFor(
        () => Promise.resolve(stream.received.find((e) => e.type === 'delivery' && e.webhookId === hook.id)),
        30_000,
        'a delivery attempt on the stream',
      );
      expect(attempt).toMatchObject({
        type: 'delivery',
        event: 'function.completed',
        status: 'pending',
        attempt: 1,
        statusCode: 500,
      });
      expect(attempt.type === 'delivery' && attempt.nextAttemptAt).toBeTruthy();
      expect(stream.received.every((e) => e.type === 'delivery')).toBe(true);
      expect(calls).toBeGreaterThan(0);
    } finally {
      stream.close();
      receiver.close();
    }
  });

  it('streams routed record events with the runs they started (none when no trigger matched)', async () => {
    const suffix = randomUUID().slice(0, 8);
    const fn = await acme.functions.create({ name: `on-event-${suffix}`, code: 'async function run() { return 1; }' });
    const trigger = await acme.triggers.create({
      name: `on-orders-${suffix}`,
      functionId: fn.id,
      executionType: 'event-driven',
      triggerMetadata: { event: 'record_created', recordSlug: `orders-${suffix}` },
    });
    // The router learns of the trigger through its KV watch.
    await sleep(500);
    const refused = await openStream(
      baseUrl,
      'acme',
      testToken({ workspaces: ['acme'], permissions: ['function-runs:read'] }),
      '?topics=event',
    );
    expect(refused.response.status).toBe(403);
    const stream = await openStream(
      baseUrl,
      'acme',
      testToken({ workspaces: ['acme'], permissions: ['events:read'] }),
      '?topics=event',
    );
    const theirs = await openStream(baseUrl, 'globex', testToken({ workspaces: ['globex'] }), '?topics=event');
    expect(stream.response.status).toBe(200);
    try {
      const matched = await acme.events.publish({
        event: 'record_created',
        recordSlug: `orders-${suffix}`,
        recordId: 'o-1',
        data: { total: 1 },
      });
      const unmatched = await acme.events.publish({
        event: 'record_updated',
        recordSlug: `orders-${suffix}`,
        recordId: 'o-1',
        data: { total: 2 },
      });
      const announced = await waitFor(
        () => Promise.resolve(stream.received.length >= 2 ? stream.received : undefined),
        20_000,
        'two routed events on the stream',
      );
      const jobId = eventRunId('acme', matched.eventId, trigger.id);
      expect(announced).toEqual([
        {
          type: 'event',
          eventId: matched.eventId,
          event: 'record_created',
          recordSlug: `orders-${suffix}`,
          recordId: 'o-1',
          runs: [{ jobId, triggerId: trigger.id }],
          runCount: 1,
          at: expect.any(String) as string,
        },
        {
          type: 'event',
          eventId: unmatched.eventId,
          event: 'record_updated',
          recordSlug: `orders-${suffix}`,
          recordId: 'o-1',
          runs: [],
          runCount: 0,
          at: expect.any(String) as string,
        },
      ]);
      // The announced run is the real one.
      expect(await acme.runs.waitFor(jobId, { timeoutMs: 20_000 })).toMatchObject({ status: 'completed' });
      expect(theirs.received).toEqual([]);
    } finally {
      stream.close();
      theirs.close();
    }
  });

  it('holds at most LIVE_STREAMS_PER_WORKSPACE streams of one workspace (429), and frees a closed one', async () => {
    const open = [
      await openStream(baseUrl, 'acme', token),
      await openStream(baseUrl, 'acme', token),
      await openStream(baseUrl, 'acme', token),
    ];
    try {
      expect(open.map((s) => s.response.status)).toEqual([200, 200, 200]);
      const fourth = await openStream(baseUrl, 'acme', token);
      expect(fourth.response.status).toBe(429);
      expect(((await fourth.response.json()) as { error: { message: string } }).error.message).toContain(
        'LIVE_STREAMS_PER_WORKSPACE',
      );
      expect((await openStream(baseUrl, 'globex', testToken({ workspaces: ['globex'] }))).response.status).toBe(200);
      open.pop()?.close();
      const again = await waitFor(
        async () => {
          const attempt = await openStream(baseUrl, 'acme', token);
          if (attempt.response.status === 200) return attempt;
          return undefined;
        },
        10_000,
        'a freed stream',
      );
      open.push(again);
    } finally {
      for (const stream of open) stream.close();
    }
  });

  it('ends its streams when data-service stops, so the stop does not wait for them', async () => {
    // The streams the test before closed are freed when data-service sees their sockets close: until then, 429.
    const stream = await waitFor(
      async () => {
        const attempt = await openStream(baseUrl, 'acme', token);
        if (attempt.response.status === 200) return attempt;
        attempt.close();
        return undefined;
      },
      10_000,
      'a free stream',
    );
    expect(stream.response.status).toBe(200);
    const service = platform.service('data-service');
    expect(await service.stop('SIGTERM')).toBe(0);
    stream.close();
    service.start();
    await service.waitReady();
  });
});
