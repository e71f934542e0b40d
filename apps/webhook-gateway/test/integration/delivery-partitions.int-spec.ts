import { randomUUID } from 'node:crypto';

import {
  createDailyPartitions,
  Database,
  listDailyPartitions,
  maintainDailyPartitions,
  startOfDay,
} from '@signalbox/persistence';
import { createTestDatabase, queryDatabase, type TestDatabase } from '@signalbox/testing';

import { migrations } from '../../src/database/migrations';
import { PartitionDeliveries1796900000000 } from '../../src/database/migrations/1796900000000-partition-deliveries';
import { DeliveryRepository, type NewDelivery } from '../../src/outbound/delivery.repository';
import { deliveryRetention } from '../../src/outbound/delivery-retention';

const DAY_MS = 86_400_000;
const quietLogger = { info: () => undefined, warn: () => undefined };
const DELIVERIES = { table: 'webhooks.deliveries', alongside: ['webhooks.delivery_attempts'] };
const WEBHOOK = randomUUID();

/**
 * `webhooks.deliveries` and their attempts partitioned by day (issue 20): one delivery per id across partitions
 * and replicas, attempts kept with their delivery's day, expiry by DROP of both.
 */
describe('deliveries partitioned by day', () => {
  let db: TestDatabase;
  const databases: Database[] = [];

  const replica = async (upTo = migrations.length) => {
    const database = new Database(
      {
        url: db.url,
        schema: 'webhooks',
        poolMax: 4,
        applicationName: 'deliveries-int-spec',
        entities: [],
        migrations: migrations.slice(0, upTo),
      },
      quietLogger,
    );
    databases.push(database);
    await database.whenReady();
    return { database, deliveries: new DeliveryRepository(database) };
  };
  const delivery = (id: string): NewDelivery => ({
    id,
    workspace: 'acme',
    webhookId: WEBHOOK,
    eventId: `evt_${id}`,
    event: 'record.created',
    body: `{"id":"evt_${id}","z":1,"a":2}`,
  });
  const queued = (id: string, createdAt = new Date()) => ({
    delivery: delivery(id),
    createdAt: createdAt.toISOString(),
    message: { msgId: id, subject: `deliveries.acme.${WEBHOOK}`, body: { deliveryId: id } },
  });
  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    (await queryDatabase<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params))[0].n;
  const attempt = (n: number) => ({ attempt: n, statusCode: 500, latencyMs: 3, error: 'HTTP 500', responseBody: null });

  beforeEach(async () => {
    db = await createTestDatabase();
  });

  afterEach(async () => {
    await Promise.all(databases.splice(0).map((database) => database.close()));
    await db.drop();
  });

  it('never stores one delivery id twice: not in another day, not from two replicas at once', async () => {
    const [a, b] = [await replica(), await replica()];
    // A delivery made five days ago (its event is redelivered today).
    const fiveDaysAgo = new Date(Date.now() - 5 * DAY_MS);
    await createDailyPartitions(a.database.source, DELIVERIES, fiveDaysAgo, fiveDaysAgo);
    const old = randomUUID();
    await a.deliveries.createMany([queued(old, fiveDaysAgo)]);
    await a.deliveries.createMany([queued(old)]);
    expect(await count('webhooks.deliveries', 'id = $1', [old])).toBe(1);

    // 200 ids, each created by both replicas at the same time, twice each.
    const ids = Array.from({ length: 200 }, () => randomUUID());
    await Promise.all(ids.flatMap((id) => [a, b, a, b].map(({ deliveries }) => deliveries.createMany([queued(id)]))));
    expect(await count('webhooks.deliveries', 'id = ANY($1::uuid[])', [ids])).toBe(200);
    expect(await count('webhooks.outbox', 'msg_id = ANY($1::text[])', [ids])).toBe(200);

    // A bulk replay's thousands in one call: stored in statements of at most 100 (each locks its ids).
    const replays = Array.from({ length: 2_500 }, () => randomUUID());
    await a.deliveries.createMany(replays.map((id) => queued(id)));
    expect(await count('webhooks.deliveries', 'id = ANY($1::uuid[])', [replays])).toBe(2_500);
  });

  it('finds a delivery in the day its job names, or in any day, and records each attempt once in that day', async () => {
    const { database, deliveries } = await replica();
    const threeDaysAgo = new Date(Date.now() - 3 * DAY_MS);
    await createDailyPartitions(database.source, DELIVERIES, threeDaysAgo, threeDaysAgo);
    const id = randomUUID();
    await deliveries.createMany([queued(id, threeDaysAgo)]);

    const found = await deliveries.find(id, threeDaysAgo.toISOString());
    expect(found?.created_at.toISOString()).toBe(threeDaysAgo.toISOString());
    expect((await deliveries.find(id))?.id).toBe(id); // a job from before the partitioning names no day
    expect((await deliveries.find(id, new Date().toISOString()))?.id).toBe(id); // nor the right one
    expect(await deliveries.find(randomUUID(), new Date().toISOString())).toBeNull();

    const next = { status: 'pending', nextAttemptAt: new Date() } as const;
    const [first, again] = await Promise.all([
      deliveries.recordAttempt(found!, attempt(1), next),
      deliveries.recordAttempt(found!, attempt(1), next),
    ]);
    expect([first, again].sort()).toEqual([false, true]);
    expect(await deliveries.recordAttempt(found!, attempt(2), { status: 'failed', nextAttemptAt: null })).toBe(true);
    const { deliveries: listed } = await deliveries.list('acme', WEBHOOK, { limit: 10, page: 1 });
    expect(listed).toMatchObject([{ id, status: 'failed', attempts: [{ attempt: 1 }, { attempt: 2 }] }]);
    const attemptDay = `${'webhooks.delivery_attempts'}_p${threeDaysAgo.toISOString().slice(0, 10).replaceAll('-', '')}`;
    expect(await count(attemptDay)).toBe(2);
  });

  it('moves the deliveries and attempts of the release before into their days', async () => {
    const before = await replica(
      migrations.findIndex((migration) => migration.name === PartitionDeliveries1796900000000.name),
    );
    const [old, fresh] = [randomUUID(), randomUUID()];
    await before.database.source.query(
      `INSERT INTO webhooks.deliveries (id, workspace_slug, webhook_id, event_id, event, body, status, attempts,
                                        created_at, completed_at)
       VALUES ($1, 'acme', $3, 'evt_1', 'record.created', '{"b":1,"a":2}', 'delivered', 2, now() - interval '3 days', now()),
              ($2, 'acme', $3, 'evt_2', 'record.created', '{}', 'pending', 0, now(), NULL)`,
      [old, fresh, WEBHOOK],
    );
    await before.database.source.query(
      `INSERT INTO webhooks.delivery_attempts (delivery_id, attempt, status_code, latency_ms)
       VALUES ($1, 1, 500, 10), ($1, 2, 200, 12)`,
      [old],
    );
    await before.database.close();

    const { database, deliveries } = await replica();
    const { deliveries: listed } = await deliveries.list('acme', WEBHOOK, { limit: 10, page: 1 });
    expect(listed.map((d) => [d.id, d.status, d.attempts.map((a) => a.statusCode)])).toEqual([
      [fresh, 'pending', []],
      [old, 'delivered', [500, 200]],
    ]);
    expect(listed[1].payload).toEqual({ b: 1, a: 2 });
    await deliveries.createMany([queued(old)]);
    expect(await count('webhooks.deliveries', 'id = $1', [old])).toBe(1);
    // 3 days ago, today and 2 ahead, for both tables.
    expect((await listDailyPartitions(database.source, DELIVERIES)).length).toBe(4);
    expect((await listDailyPartitions(database.source, { table: 'webhooks.delivery_attempts' })).length).toBe(4);
  });

  it('drops the days older than the retention with their attempts, and keeps a day that still delivers', async () => {
    const { database, deliveries } = await replica();
    const now = new Date();
    const first = new Date(startOfDay(now).getTime() - 40 * DAY_MS);
    await createDailyPartitions(database.source, DELIVERIES, first, now);
    const pendingDay = new Date(first.getTime() + 2 * DAY_MS + 3_600_000);
    for (let day = 0; day < 40; day++) {
      const createdAt = new Date(first.getTime() + day * DAY_MS + 3_600_000);
      const id = randomUUID();
      await deliveries.createMany([queued(id, createdAt)]);
      const row = await deliveries.find(id, createdAt.toISOString());
      const pending = createdAt.getTime() === pendingDay.getTime();
      const next = pending ? { status: 'pending', nextAttemptAt: now } : { status: 'delivered', nextAttemptAt: null };
      await deliveries.recordAttempt(row!, attempt(1), next as never);
    }
    const settings = { retentionDays: 30, daysAhead: 7, keepWhile: "status = 'pending'" };
    const results = await Promise.all([
      maintainDailyPartitions(database.source, DELIVERIES, settings, quietLogger, now),
      maintainDailyPartitions(database.source, DELIVERIES, settings, quietLogger, now),
    ]);
    const dropped = results.flatMap((result) => result?.dropped ?? []);
    expect(dropped).toHaveLength(9);
    expect(new Set(dropped).size).toBe(9);
    const cutoff = startOfDay(now).getTime() - 30 * DAY_MS;
    for (const table of ['webhooks.deliveries', 'webhooks.delivery_attempts']) {
      const days = (await listDailyPartitions(database.source, { table })).map((p) => p.day.getTime());
      expect(days.filter((day) => day < cutoff)).toEqual([startOfDay(pendingDay).getTime()]);
      expect(Math.max(...days)).toBe(startOfDay(now).getTime() + 7 * DAY_MS);
    }
    expect(await count('webhooks.deliveries', 'created_at < $1', [new Date(cutoff)])).toBe(1);
    expect(await count('webhooks.delivery_attempts', 'delivery_created_at < $1', [new Date(cutoff)])).toBe(1);
    expect(await count('webhooks.delivery_attempts')).toBe(31);
  });

  it("deletes a workspace's finished deliveries and their attempts older than its own retention", async () => {
    const { database, deliveries } = await replica();
    const now = new Date();
    const fiveDaysAgo = new Date(now.getTime() - 5 * DAY_MS);
    await createDailyPartitions(database.source, DELIVERIES, fiveDaysAgo, now);
    const make = async (workspace: string, at: Date, status: 'delivered' | 'pending') => {
      const id = randomUUID();
      await deliveries.createMany([{ ...queued(id, at), delivery: { ...delivery(id), workspace } }]);
      const row = await deliveries.find(id, at.toISOString());
      await deliveries.recordAttempt(row!, attempt(1), { status, nextAttemptAt: status === 'pending' ? now : null });
      return id;
    };
    const oldAcme = await make('acme', fiveDaysAgo, 'delivered');
    const pendingAcme = await make('acme', fiveDaysAgo, 'pending');
    const newAcme = await make('acme', now, 'delivered');
    const oldGlobex = await make('globex', fiveDaysAgo, 'delivered');
    const result = await maintainDailyPartitions(database.source, DELIVERIES, deliveryRetention(30), quietLogger, now, [
      { workspace: 'acme', days: 2 },
    ]);
    expect(result?.deleted).toBe(1);
    const left = await queryDatabase<{ id: string }>(db.url, 'SELECT id FROM webhooks.deliveries ORDER BY id');
    expect(left.map((row) => row.id).sort()).toEqual([pendingAcme, newAcme, oldGlobex].sort());
    expect(await count('webhooks.delivery_attempts', 'delivery_id = $1', [oldAcme])).toBe(0);
    expect(await count('webhooks.delivery_attempts')).toBe(3);
  });
});
