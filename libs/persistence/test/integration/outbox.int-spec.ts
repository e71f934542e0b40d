import { activeTraceparent, inSpan, startTracing, type Tracing } from '@signalbox/observability';
import { createTestDatabase, queryDatabase, sleep, type TestDatabase } from '@signalbox/testing';
import type { MigrationInterface, QueryRunner } from 'typeorm';

import { addOutboxTraceparent, createOutboxTable, Database, Outbox, type OutboxMessage } from '../../src';

class CreateOutbox1763800000000 implements MigrationInterface {
  name = 'CreateOutbox1763800000000';
  async up(runner: QueryRunner): Promise<void> {
    await createOutboxTable(runner, 'shop');
    await addOutboxTraceparent(runner, 'shop');
  }
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE shop.outbox');
  }
}

const quietLogger = { info: () => undefined, warn: () => undefined };

describe(Outbox.name, () => {
  let db: TestDatabase;
  let database: Database;
  const published: OutboxMessage[] = [];
  /** The trace context each publish ran in. */
  const publishedIn: Array<string | undefined> = [];
  let refuse = false;
  const outbox = (graceMs: number) =>
    new Outbox(database, {
      table: 'shop.outbox',
      graceMs,
      logger: quietLogger,
      publish: async (message) => {
        await sleep(5);
        if (refuse) throw new Error('JetStream refused');
        published.push(message);
        publishedIn.push(activeTraceparent());
      },
    });
  /** What a writer's statement does: the entries, written in the same transaction as its rows. */
  const write = (messages: OutboxMessage[]) =>
    database.source.query(
      `INSERT INTO shop.outbox (msg_id, subject, body, traceparent)
       SELECT msg_id, subject, body, traceparent
         FROM jsonb_to_recordset($1::jsonb) AS m(msg_id text, subject text, body jsonb, traceparent text)`,
      [Outbox.entries(messages)],
    );
  const left = async () =>
    (await queryDatabase<{ msg_id: string }>(db.url, 'SELECT msg_id FROM shop.outbox ORDER BY msg_id')).map(
      (row) => row.msg_id,
    );
  const message = (n: number): OutboxMessage => ({ msgId: `m${n}`, subject: `orders.${n}`, body: { n } });

  beforeEach(async () => {
    published.length = 0;
    publishedIn.length = 0;
    refuse = false;
    db = await createTestDatabase();
    database = new Database(
      {
        url: db.url,
        schema: 'shop',
        poolMax: 4,
        applicationName: 'outbox-int-spec',
        entities: [],
        migrations: [CreateOutbox1763800000000],
      },
      quietLogger,
    );
    await database.whenReady();
  });

  afterEach(async () => {
    await database.close();
    await db.drop();
  });

  it('publishes what its writer sent and removes it; what it could not send stays', async () => {
    const sut = outbox(60_000);
    await write([message(1), message(2)]);
    await sut.send([message(1), message(2)]);
    expect(published.map((m) => m.msgId).sort()).toEqual(['m1', 'm2']);
    expect(published[0]).toMatchObject({
      subject: expect.stringMatching(/^orders\./),
      body: { n: expect.any(Number) },
    });
    expect(await left()).toEqual([]);

    refuse = true;
    await write([message(3)]);
    await expect(sut.send([message(3)])).resolves.toBeUndefined();
    expect(await left()).toEqual(['m3']);
  });

  it('sweeps what no writer published, after the grace, once across replicas sweeping together', async () => {
    await write(Array.from({ length: 450 }, (_, n) => message(n)));
    expect(await outbox(60_000).sweep()).toBe(0); // within the grace: its writer may still publish it
    await sleep(300);
    const replicas = [outbox(100), outbox(100), outbox(100)];
    const counts = await Promise.all(
      replicas.map(async (replica) => {
        let total = 0;
        for (let swept = -1; swept !== 0; total += swept) swept = await replica.sweep();
        return total;
      }),
    );
    expect(counts.reduce((a, b) => a + b, 0)).toBe(450);
    expect(new Set(published.map((m) => m.msgId)).size).toBe(450);
    expect(published).toHaveLength(450);
    expect(await left()).toEqual([]);
  });

  it('keeps the entries a sweep could not publish, for the next sweep', async () => {
    await write([message(1), message(2)]);
    await sleep(150);
    refuse = true;
    expect(await outbox(100).sweep()).toBe(0);
    expect(await left()).toEqual(['m1', 'm2']);
    refuse = false;
    expect(await outbox(100).sweep()).toBe(2);
    expect(await left()).toEqual([]);
  });

  describe('with tracing on', () => {
    let tracing: Tracing | null;
    beforeAll(() => {
      // Spans are made and their context carried, none is kept: nothing is exported (no collector here).
      process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = 'http://127.0.0.1:9';
      process.env['OTEL_TRACES_SAMPLER'] = 'always_off';
      tracing = startTracing('outbox-int-spec');
    });
    afterAll(async () => {
      await tracing?.shutdown();
      delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
      delete process.env['OTEL_TRACES_SAMPLER'];
    });

    it("publishes what it sweeps in the trace of the work that wrote it, each entry its own writer's", async () => {
      const [one, two] = await Promise.all(
        ['one', 'two'].map((name, n) =>
          inSpan(name, { root: true }, async () => {
            await write([message(n)]);
            return activeTraceparent();
          }),
        ),
      );
      await write([message(9)]); // outside any trace
      expect(one).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      expect(two).not.toBe(one);
      await sleep(150);
      expect(await outbox(100).sweep()).toBe(3);
      const contextOf = (msgId: string) => publishedIn[published.findIndex((m) => m.msgId === msgId)];
      expect([contextOf('m0'), contextOf('m1'), contextOf('m9')]).toEqual([one, two, undefined]);
    });
  });
});
