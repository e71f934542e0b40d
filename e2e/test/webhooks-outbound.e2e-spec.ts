import { createHmac, randomUUID } from 'node:crypto';

import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type {
  ComputeFunction,
  Delivery,
  DeliveryList,
  SystemUsageResponse,
  Webhook,
  WebhookConfig,
  WebhookList,
  WebhookReplayResult,
  WebhookTestResult,
} from '@signalbox/contracts';
import { Platform, queryDatabase, sleep, testToken, waitFor } from '@signalbox/testing';
import { Webhook as StandardWebhook } from 'standardwebhooks';

import { ApiClient } from './support/http';
import { type Received, Receiver } from './support/receiver';

/** Seed 001's own check: HMAC over JSON.stringify of the parsed body, compared whole. */
function seedVerifyWebhook(payload: unknown, signature: string, secret: string): boolean {
  const hash = createHmac('sha256', secret).update(JSON.stringify(payload)).digest('hex');
  return `sha256=${hash}` === signature;
}

const countOf = async (db: string, sql: string) => Number((await queryDatabase<{ n: string }>(db, sql))[0].n);

const json = (request: Received) =>
  JSON.parse(request.body) as { id: string; event: string; data: Record<string, unknown> };

/**
 * Outbound webhooks through the real services: record events published over HTTP (event-router makes
 * `record.*`), runs (compute-runtime makes `function.*`), deliveries made by webhook-gateway to a real local
 * receiver, signed so that the seed's verifyWebhook and the standardwebhooks package accept them.
 */
describe('outbound webhooks', () => {
  let platform: Platform;
  let api: ApiClient;
  let receiver: Receiver;

  const subscribe = async (body: Record<string, unknown>) => {
    const response = await api.post<Webhook>('/webhooks', { name: `wh-${randomUUID().slice(0, 8)}`, ...body });
    expect(response.status).toBe(201);
    await sleep(300); // the gateway's index follows the KV bucket
    return response.body;
  };
  const publish = async (recordSlug: string, data: Record<string, unknown>, event = 'record_created') => {
    const response = await api.post('/events', {
      event,
      recordSlug,
      recordId: `rec-${randomUUID().slice(0, 6)}`,
      data,
    });
    expect(response.status).toBe(202);
  };
  const deliveriesOf = async (id: string, query = '') =>
    (await api.get<DeliveryList>(`/webhooks/${id}/deliveries${query}`)).body.deliveries;
  const settled = (id: string, count: number, timeoutMs = 40_000) =>
    waitFor(
      async () => {
        const list = await deliveriesOf(id);
        return list.length >= count && list.every((d) => d.status !== 'pending') ? list : undefined;
      },
      timeoutMs,
      `${count} deliveries of ${id} settled`,
    );

  beforeAll(async () => {
    receiver = await Receiver.start();
    platform = await Platform.start({
      only: ['data-service', 'event-router', 'compute-runtime', 'webhook-gateway'],
      // The receiver listens on 127.0.0.1, which the operator allows here; everything else private is refused.
      env: { FETCH_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_DELIVERY_TIMEOUT_MS: '1500', WEBHOOK_ENDPOINT_CONCURRENCY: '2' },
    });
    api = new ApiClient(
      `${platform.service('data-service').url}/workspace/acme/api/v1`,
      testToken({ workspaces: ['acme'], permissions: ['*'], subject: 'alice' }),
    );
  });

  afterAll(async () => {
    await platform?.stop();
    await receiver?.stop();
  });

  it('manages subscriptions: a whsec_ secret shown once, sealed at rest, validation in the envelope', async () => {
    const created = await api.post<Webhook>('/webhooks', {
      name: 'Order Notifications',
      url: `${receiver.url}/crud`,
      events: ['record.created', 'record.updated'],
      filters: { structure: 'orders' },
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.body).toMatchObject({ enabled: true, retrySchedule: [1, 5, 15], disabledReason: null });
    const id = created.body.id;
    const fetched = await api.get<Webhook>(`/webhooks/${id}`);
    expect(fetched.body).not.toHaveProperty('secret');
    expect(fetched.body.secretHint).toBe(`${created.body.secret!.slice(0, 10)}...`);
    expect((await api.get<WebhookList>('/webhooks?search=Order')).body.webhooks.map((w) => w.id)).toContain(id);
    const updated = await api.patch<Webhook>(`/webhooks/${id}`, { url: `${receiver.url}/crud-2`, enabled: false });
    expect(updated.body).toMatchObject({ url: `${receiver.url}/crud-2`, enabled: false, version: 2 });
    expect(updated.body).not.toHaveProperty('secret');

    const refused = async (body: Record<string, unknown>) => {
      const response = await api.post<{ error: { code: string; message: string } }>('/webhooks', {
        name: `bad-${randomUUID().slice(0, 6)}`,
        url: `${receiver.url}/x`,
        events: ['record.created'],
        ...body,
      });
      expect(response.status).toBe(400);
      return response.body.error;
    };
    expect((await refused({ events: ['record.exploded'] })).code).toBe('VALIDATION_ERROR');
    expect((await refused({ filters: { query: { $where: 'sleep(1000)' } } })).message).toMatch(/\$where/);
    expect((await refused({ url: 'ftp://example.com/hook' })).message).toMatch(/only fetches http and https/);
    expect((await refused({ url: 'http://169.254.169.254/latest' })).message).toMatch(/a cloud metadata address/);
    expect((await refused({ url: 'http://10.1.2.3/hook' })).message).toMatch(/not a public address/);
    const duplicate = await api.post('/webhooks', {
      name: 'Order Notifications',
      url: `${receiver.url}/x`,
      events: ['record.created'],
    });
    expect(duplicate.status).toBe(409);

    const sealed = await queryDatabase<{ secret: { value: string } }>(
      platform.database.url,
      'SELECT secret FROM data.webhooks WHERE id = $1',
      [id],
    );
    expect(JSON.stringify(sealed[0].secret)).not.toContain(created.body.secret!.slice(6, 20));
    expect((await api.delete(`/webhooks/${id}`)).status).toBe(200);
    expect((await api.get(`/webhooks/${id}`)).status).toBe(404);
  });

  it('delivers matching record and run events, signed for the seed and for Standard Webhooks', async () => {
    const url = receiver.on('/orders', () => ({ status: 200, body: 'OK' }));
    const hook = await subscribe({
      url,
      events: ['record.created', 'function.completed'],
      filters: { structure: ['orders', 'invoices'], query: { total: { $gt: 100 } } },
    });
    await publish('orders', { total: 250, customer: 'Ada' });
    await publish('orders', { total: 50 }); // query does not match
    await publish('customers', { total: 999 }); // structure does not match
    await publish('orders', { total: 300 }, 'record_updated'); // not subscribed
    const fn = await api.post<ComputeFunction>('/compute-functions', {
      name: `wh-fn-${randomUUID().slice(0, 6)}`,
      code: 'async function run() { return 1; }',
    });
    const executed = await api.post<{ jobId: string }>(`/function-triggers/${fn.body.defaultTriggerId}/execute`, {});

    const deliveries = await settled(hook.id, 2);
    await sleep(1_000); // nothing else arrives
    const received = receiver.at('/orders');
    expect(received.map((r) => json(r).event).sort()).toEqual(['function.completed', 'record.created']);
    const record = received.find((r) => json(r).event === 'record.created')!;
    expect(json(record)).toMatchObject({
      event: 'record.created',
      workspace: 'acme',
      data: { structure: 'orders', record: { total: 250, customer: 'Ada' } },
    });
    const run = received.find((r) => json(r).event === 'function.completed')!;
    expect(json(run).data).toMatchObject({ runId: executed.body.jobId, status: 'completed' });

    for (const request of received) {
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['x-centrali-event']).toBe(json(request).event);
      expect(request.headers['webhook-id']).toBe(request.headers['x-centrali-delivery']);
      expect(deliveries.map((d) => d.id)).toContain(request.headers['x-centrali-delivery']);
    }
    expect(deliveries.every((d) => d.status === 'delivered' && d.attempts.length === 1)).toBe(true);
    expect(deliveries[0].attempts[0]).toMatchObject({ statusCode: 200, responseBody: 'OK', error: null });
  });

  it('signs so that verifyWebhook and standardwebhooks accept, and with both secrets after a change or a rotation', async () => {
    const url = receiver.on('/signed', () => ({ status: 204 }));
    const created = await api.post<Webhook>('/webhooks', {
      name: `signed-${randomUUID().slice(0, 6)}`,
      url,
      events: ['record.created'],
    });
    const oldSecret = created.body.secret!;
    await sleep(300);
    await publish('orders', { n: 1 });
    await settled(created.body.id, 1);
    const [first] = receiver.at('/signed');
    expect(seedVerifyWebhook(JSON.parse(first.body), first.headers['x-centrali-signature'], oldSecret)).toBe(true);
    expect(new StandardWebhook(oldSecret).verify(first.body, first.headers)).toEqual(JSON.parse(first.body));
    expect(first.headers).not.toHaveProperty('x-centrali-signature-previous');

    const newSecret = `whsec_${Buffer.from(randomUUID().replace(/-/g, '')).toString('base64')}`;
    const rotated = await api.patch<Webhook>(`/webhooks/${created.body.id}`, { secret: newSecret });
    expect(rotated.body.secret).toBe(newSecret);
    await sleep(300);
    await publish('orders', { n: 2 });
    await settled(created.body.id, 2);
    const second = receiver.at('/signed')[1];
    expect(seedVerifyWebhook(JSON.parse(second.body), second.headers['x-centrali-signature'], newSecret)).toBe(true);
    expect(seedVerifyWebhook(JSON.parse(second.body), second.headers['x-centrali-signature-previous'], oldSecret)).toBe(
      true,
    );
    expect(new StandardWebhook(newSecret).verify(second.body, second.headers)).toBeTruthy();
    expect(new StandardWebhook(oldSecret).verify(second.body, second.headers)).toBeTruthy();

    // A secret the platform makes: shown once in the answer, then signing (beside the one it replaced).
    const generated = await api.post<Webhook>(`/webhooks/${created.body.id}/rotate-secret`);
    expect(generated.status).toBe(200);
    const madeSecret = generated.body.secret!;
    expect(madeSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect((await api.get<Webhook>(`/webhooks/${created.body.id}`)).body).not.toHaveProperty('secret');
    await sleep(300);
    await publish('orders', { n: 3 });
    await settled(created.body.id, 3);
    const third = receiver.at('/signed')[2];
    expect(new StandardWebhook(madeSecret).verify(third.body, third.headers)).toBeTruthy();
    expect(new StandardWebhook(newSecret).verify(third.body, third.headers)).toBeTruthy();
    expect((await api.post(`/webhooks/${randomUUID()}/rotate-secret`)).status).toBe(404);
  });

  it('retries after 1 s, 5 s and 15 s, then fails once into /failures; a receiver that recovers is delivered', async () => {
    const flaky = await subscribe({
      url: receiver.on('/flaky', (_request, count) => (count <= 3 ? { status: 503, body: 'busy' } : { status: 200 })),
      events: ['record.created'],
      filters: { structure: 'retries' },
    });
    const broken = await subscribe({
      url: receiver.on('/broken', () => ({ status: 500, body: 'x'.repeat(10_000) })),
      events: ['record.created'],
      filters: { structure: 'retries' },
    });
    await publish('retries', { n: 1 });
    const [failed] = await settled(broken.id, 1, 45_000);
    const [delivered] = await settled(flaky.id, 1, 45_000);

    expect(delivered.status).toBe('delivered');
    expect(delivered.attempts.map((a) => a.statusCode)).toEqual([503, 503, 503, 200]);
    expect(failed.status).toBe('failed');
    expect(failed.attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 500]);
    expect(failed.attempts[0].responseBody).toHaveLength(4096); // stored truncated
    const times = receiver.at('/broken').map((r) => r.at);
    const gaps = times.slice(1).map((t, i) => (t - times[i]) / 1000);
    expect(gaps).toHaveLength(3);
    [1, 5, 15].forEach((expected, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(expected - 0.1);
      expect(gaps[i]).toBeLessThan(expected + 2.5);
    });
    const failures = await api.get<DeliveryList>(`/webhooks/${broken.id}/failures`);
    expect(failures.body.deliveries.map((d) => d.id)).toEqual([failed.id]);
    expect((await api.get<DeliveryList>(`/webhooks/${flaky.id}/failures`)).body.total).toBe(0);
  }, 60_000);

  it('gives up on a receiver that hangs past the timeout, and a slow endpoint does not hold back another', async () => {
    const hanging = await subscribe({
      url: receiver.on('/hang', () => 'hang'),
      events: ['record.created'],
      filters: { structure: 'slow' },
      retrySchedule: [1],
    });
    const quick = await subscribe({
      url: receiver.on('/quick', () => ({ status: 200 })),
      events: ['record.created'],
      filters: { structure: 'slow' },
    });
    for (let i = 0; i < 5; i++) await publish('slow', { i });
    const quickDone = await settled(quick.id, 5, 10_000);
    expect(quickDone.every((d) => d.status === 'delivered')).toBe(true);
    // Each event reached the quick endpoint while the hanging endpoint's first attempt for the same event was
    // still open (it times out after 1500 ms): the quick one was not held back. Compared per event, so the time
    // the five publishes take does not count.
    const eventOf = (request: { body: string }) => /"i":(\d)/.exec(request.body)?.[1];
    for (const delivered of receiver.at('/quick')) {
      const firstHang = receiver.at('/hang').find((request) => eventOf(request) === eventOf(delivered));
      if (firstHang) expect(delivered.at).toBeLessThan(firstHang.at + 1_500);
    }
    const hung = await settled(hanging.id, 5, 30_000);
    for (const delivery of hung) {
      expect(delivery.status).toBe('failed');
      expect(delivery.attempts.map((a) => a.error)).toEqual([
        expect.stringMatching(/timed out after 1500 ms/),
        expect.stringMatching(/timed out after 1500 ms/),
      ]);
    }
    // At most two attempts to the hanging endpoint were open at once (WEBHOOK_ENDPOINT_CONCURRENCY=2).
    const starts = receiver.at('/hang').map((r) => r.at);
    expect(starts).toHaveLength(10);
    for (const start of starts) {
      expect(starts.filter((other) => other >= start && other < start + 1_400).length).toBeLessThanOrEqual(2);
    }
  }, 50_000);

  it('refuses at send time a target that resolves to a private address (checked again, not only when saved)', async () => {
    // A config as data-service would publish it, pointing at "localhost": not the allowed literal 127.0.0.1.
    const nc = await connect({ servers: platform.nats.url });
    const valid = await api.post<Webhook>('/webhooks', {
      name: `ssrf-${randomUUID().slice(0, 6)}`,
      url: `${receiver.url}/ssrf`,
      events: ['record.created'],
      filters: { structure: 'ssrf' },
      retrySchedule: [],
    });
    const kv = await new Kvm(nc).open('webhooks');
    const entry = await kv.get(`acme.${valid.body.id}`);
    const config = entry!.json<WebhookConfig>();
    await kv.put(
      `acme.${valid.body.id}`,
      JSON.stringify({ ...config, url: config.url.replace('127.0.0.1', 'localhost') }),
    );
    await nc.close();
    await sleep(300);
    await publish('ssrf', { n: 1 });
    const [delivery] = await settled(valid.body.id, 1);
    expect(delivery.status).toBe('failed');
    expect(delivery.attempts[0].error).toMatch(
      /webhook delivery refused localhost:\d+: it resolves to .*not a public address/,
    );
    expect(receiver.at('/ssrf')).toHaveLength(0);
  });

  it('tests a subscription now, and replays one delivery or a time range', async () => {
    const hook = await subscribe({
      url: receiver.on('/replay', () => ({ status: 200, body: 'thanks' })),
      events: ['record.deleted'],
    });
    const tested = await api.post<WebhookTestResult>(`/webhooks/${hook.id}/test`);
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ delivered: true, statusCode: 200, responseBody: 'thanks', error: null });
    expect(json(receiver.at('/replay')[0])).toMatchObject({ event: 'webhook.test', data: { webhookId: hook.id } });

    const since = new Date().toISOString();
    await publish('orders', { n: 1 }, 'record_deleted');
    await publish('orders', { n: 2 }, 'record_deleted');
    const original = (await settled(hook.id, 3)).filter((d) => d.event === 'record.deleted');
    expect(original).toHaveLength(2);
    const until = new Date().toISOString();

    const one = await api.post<Delivery>(`/webhooks/${hook.id}/deliveries/${original[0].id}/replay`);
    expect(one.status).toBe(202);
    expect(one.body).toMatchObject({ replayOf: original[0].id, eventId: original[0].eventId });
    const bulk = await api.post<WebhookReplayResult>(`/webhooks/${hook.id}/replay`, {
      since,
      until,
      status: 'delivered',
    });
    expect(bulk.body.replayed).toBe(2);
    await settled(hook.id, 6);
    const bodies = receiver.at('/replay').filter((r) => json(r).event === 'record.deleted');
    expect(bodies).toHaveLength(5);
    // Same event (id and bytes) every time; each delivery has its own id.
    expect(new Set(bodies.map((r) => json(r).id)).size).toBe(2);
    expect(new Set(bodies.map((r) => r.headers['webhook-id'])).size).toBe(5);
    expect((await api.post(`/webhooks/${hook.id}/deliveries/${randomUUID()}/replay`)).status).toBe(404);
    expect((await api.post(`/webhooks/${randomUUID()}/test`)).status).toBe(404);
  });

  it("reports the workspace's rows in each table at /system/usage, and none of another workspace's", async () => {
    const count = async (sql: string, workspace = 'acme') =>
      Number((await queryDatabase<{ n: string }>(platform.database.url, sql, [workspace]))[0].n);
    const hook = await subscribe({
      url: receiver.on('/usage', () => ({ status: 200 })),
      events: ['record.created'],
      filters: { structure: 'usage' },
    });
    await publish('usage', { n: 1 });
    await settled(hook.id, 1);
    const response = await api.get<SystemUsageResponse>('/system/usage');
    expect(response.status).toBe(200);
    const usage = response.body;
    expect(usage.workspace).toBe('acme');
    // The scheduler is not started in this file: its tables are missing, and it is named.
    expect(usage.unreachable.map((service) => service.name)).toEqual(['scheduler-service']);
    const table = (name: string) => usage.tables.find((t) => t.table === name);
    expect(table('runtime.runs')).toMatchObject({
      service: 'compute-runtime',
      rows: await count('SELECT count(*) AS n FROM runtime.runs WHERE workspace_slug = $1'),
      kept: '30 days',
    });
    expect(table('webhooks.deliveries')?.rows).toBe(
      await count('SELECT count(*) AS n FROM webhooks.deliveries WHERE workspace_slug = $1'),
    );
    expect(table('webhooks.delivery_attempts')?.rows).toBe(
      await count(
        `SELECT count(*) AS n FROM webhooks.delivery_attempts a
           JOIN webhooks.deliveries d ON d.id = a.delivery_id WHERE d.workspace_slug = $1`,
      ),
    );
    expect(table('data.webhooks')?.rows).toBe(
      await count('SELECT count(*) AS n FROM data.webhooks WHERE workspace_slug = $1'),
    );
    for (const name of ['webhooks.deliveries', 'webhooks.delivery_attempts', 'data.webhooks']) {
      expect(table(name)!.rows).toBeGreaterThan(0);
      expect(table(name)!.bytes).toBeGreaterThan(0);
    }

    const other = new ApiClient(
      `${platform.service('data-service').url}/workspace/globex/api/v1`,
      testToken({ workspaces: ['globex'], permissions: ['function-triggers:read'] }),
    );
    const empty = await other.get<SystemUsageResponse>('/system/usage');
    expect(empty.status).toBe(200);
    expect(empty.body.tables.length).toBe(usage.tables.length);
    expect(empty.body.tables.every((t) => t.rows === 0 && t.bytes === 0)).toBe(true);
    const acmeAsGlobex = await fetch(`${platform.service('data-service').url}/workspace/acme/api/v1/system/usage`, {
      headers: { authorization: `Bearer ${testToken({ workspaces: ['globex'], permissions: ['*'] })}` },
    });
    expect(acmeAsGlobex.status).toBe(403);
  });

  it('drops a day of deliveries and their attempts once it is older than DELIVERY_RETENTION_DAYS (30)', async () => {
    const db = platform.database.url;
    const day = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() - 40));
    const suffix = day.toISOString().slice(0, 10).replaceAll('-', '');
    const next = new Date(day.getTime() + 86_400_000).toISOString();
    for (const table of ['deliveries', 'delivery_attempts']) {
      await queryDatabase(
        db,
        `CREATE TABLE webhooks.${table}_p${suffix} PARTITION OF webhooks.${table}
           FOR VALUES FROM ('${day.toISOString()}') TO ('${next}')`,
      );
    }
    const id = randomUUID();
    await queryDatabase(
      db,
      `INSERT INTO webhooks.deliveries (id, workspace_slug, webhook_id, event_id, event, body, status, created_at)
       VALUES ($1, 'acme', $1, 'evt_old', 'record.created', '{}', 'delivered', $2)`,
      [id, new Date(day.getTime() + 3_600_000)],
    );
    // The keeper looks at start (and hourly): restart the gateway.
    const gateway = platform.service('webhook-gateway');
    await gateway.stop('SIGTERM');
    gateway.start();
    await gateway.waitReady(30_000);
    const exists = async (table: string) =>
      (await queryDatabase<{ ok: boolean }>(db, 'SELECT to_regclass($1) IS NOT NULL AS ok', [table]))[0].ok;
    await waitFor(
      async () => (!(await exists(`webhooks.deliveries_p${suffix}`)) ? true : undefined),
      20_000,
      'the expired day dropped',
    );
    expect(await exists(`webhooks.delivery_attempts_p${suffix}`)).toBe(false);
    expect(await exists(`webhooks.deliveries_p${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`)).toBe(
      true,
    );
  }, 60_000);

  it("keeps a workspace's deliveries only as long as its own retention, set at PUT /system/retention", async () => {
    const db = platform.database.url;
    expect((await api.get('/system/retention')).body).toEqual({ runsDays: null, deliveriesDays: null });
    for (const bad of [{ deliveriesDays: 0 }, { deliveriesDays: 1.5 }, { deliveriesDays: '2' }, { keep: 1 }]) {
      const refused = await api.put<{ error: { code: string } }>('/system/retention', bad);
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('VALIDATION_ERROR');
    }
    const reader = new ApiClient(
      `${platform.service('data-service').url}/workspace/acme/api/v1`,
      testToken({ workspaces: ['acme'], permissions: ['settings:read'] }),
    );
    expect((await reader.put('/system/retention', { deliveriesDays: 2 })).status).toBe(403);
    expect((await api.get('/system/retention')).body).toEqual({ runsDays: null, deliveriesDays: null });

    try {
      await expectOwnRetentionKept(db);
    } finally {
      await api.put('/system/retention', { runsDays: null, deliveriesDays: null });
    }
  }, 60_000);

  const expectOwnRetentionKept = async (db: string) => {
    const set = await api.put('/system/retention', { deliveriesDays: 2 });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ runsDays: null, deliveriesDays: 2 });
    expect((await api.put('/system/retention', { runsDays: 7 })).body).toEqual({ runsDays: 7, deliveriesDays: 2 });
    expect((await api.get<SystemUsageResponse>('/system/usage')).body.retention).toEqual({
      runsDays: 7,
      deliveriesDays: 2,
    });

    // A delivery of each workspace made five days ago, with its attempt.
    const fiveDaysAgo = new Date(Date.now() - 5 * 86_400_000);
    const day = fiveDaysAgo.toISOString().slice(0, 10);
    const next = new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString();
    for (const table of ['deliveries', 'delivery_attempts']) {
      await queryDatabase(
        db,
        `CREATE TABLE IF NOT EXISTS webhooks.${table}_p${day.replaceAll('-', '')} PARTITION OF webhooks.${table}
           FOR VALUES FROM ('${day}T00:00:00.000Z') TO ('${next}')`,
      );
    }
    const ids = { acme: randomUUID(), globex: randomUUID() };
    for (const [workspace, id] of Object.entries(ids)) {
      await queryDatabase(
        db,
        `INSERT INTO webhooks.deliveries (id, workspace_slug, webhook_id, event_id, event, body, status, attempts,
                                          created_at)
         VALUES ($1, $2, $1, 'evt_old', 'record.created', '{}', 'delivered', 1, $3)`,
        [id, workspace, fiveDaysAgo],
      );
      await queryDatabase(
        db,
        `INSERT INTO webhooks.delivery_attempts (delivery_id, delivery_created_at, attempt, status_code, latency_ms)
         VALUES ($1, $2, 1, 200, 5)`,
        [id, fiveDaysAgo],
      );
    }
    // The keeper asks data-service for the workspaces' own retention at start (and hourly): restart the gateway.
    const gateway = platform.service('webhook-gateway');
    await gateway.stop('SIGTERM');
    gateway.start();
    await gateway.waitReady(30_000);
    const left = async (id: string) =>
      (
        await queryDatabase<{ n: number }>(
          db,
          `SELECT (SELECT count(*) FROM webhooks.deliveries WHERE id = $1)
                + (SELECT count(*) FROM webhooks.delivery_attempts WHERE delivery_id = $1) AS n`,
          [id],
        )
      )[0].n;
    await waitFor(async () => (Number(await left(ids.acme)) === 0 ? true : undefined), 20_000, "acme's old delivery");
    expect(Number(await left(ids.globex))).toBe(2);
    // The recent deliveries of acme are kept.
    expect(
      await countOf(db, "SELECT count(*) AS n FROM webhooks.deliveries WHERE workspace_slug = 'acme'"),
    ).toBeGreaterThan(0);
  };

  it('keeps a delivery through a kill -9 of the gateway in the middle of its backoff, and sends it once', async () => {
    const hook = await subscribe({
      url: receiver.on('/restart', (_request, count) => (count === 1 ? { status: 502 } : { status: 200 })),
      events: ['record.created'],
      filters: { structure: 'restart' },
      retrySchedule: [4],
    });
    await publish('restart', { n: 1 });
    await waitFor(() => Promise.resolve(receiver.at('/restart').length === 1 || undefined), 10_000, 'first attempt');
    await sleep(300); // the attempt is recorded and the job waits out its backoff in JetStream
    const gateway = platform.service('webhook-gateway');
    await gateway.stop('SIGKILL');
    gateway.start();
    await gateway.waitReady(30_000);
    const [delivery] = await settled(hook.id, 1, 30_000);
    expect(delivery.status).toBe('delivered');
    expect(delivery.attempts.map((a) => a.statusCode)).toEqual([502, 200]);
    await sleep(2_000);
    expect(receiver.at('/restart')).toHaveLength(2);
  }, 60_000);
});

describe('outbound webhooks: a subscription that fails every delivery is disabled', () => {
  let platform: Platform;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await Receiver.start();
    platform = await Platform.start({
      only: ['data-service', 'event-router', 'webhook-gateway'],
      env: { FETCH_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_DISABLE_AFTER_MS: '2000' },
    });
  });

  afterAll(async () => {
    await platform?.stop();
    await receiver?.stop();
  });

  it('disables it after the configured period, with a disabledReason, and delivers no more', async () => {
    const api = new ApiClient(
      `${platform.service('data-service').url}/workspace/acme/api/v1`,
      testToken({ workspaces: ['acme'], permissions: ['*'] }),
    );
    const hook = (
      await api.post<Webhook>('/webhooks', {
        name: 'always-down',
        url: receiver.on('/down', () => ({ status: 500 })),
        events: ['record.created'],
        retrySchedule: [1, 1, 1],
      })
    ).body;
    await sleep(300);
    const publish = () =>
      api.post('/events', { event: 'record_created', recordSlug: 'orders', recordId: 'r', data: { n: 1 } });
    await publish();
    const disabled = await waitFor(
      async () => {
        const current = (await api.get<Webhook>(`/webhooks/${hook.id}`)).body;
        return current.enabled ? undefined : current;
      },
      20_000,
      'the webhook disabled',
    );
    expect(disabled.disabledReason).toMatch(/^every delivery failed since /);
    await sleep(500);
    const before = receiver.at('/down').length;
    await publish();
    await sleep(2_000);
    expect(receiver.at('/down')).toHaveLength(before);
    const enabled = await api.patch<Webhook>(`/webhooks/${hook.id}`, { enabled: true });
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null });
  });
});
