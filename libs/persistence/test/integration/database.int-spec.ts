import {
  createTestDatabase,
  DelayedTcpProxy,
  queryDatabase,
  TEST_POSTGRES_URL,
  type TestDatabase,
  waitFor,
} from '@signalbox/testing';
import type { MigrationInterface, QueryRunner } from 'typeorm';

import { Database, type DatabaseSettings } from '../../src';

/** A migration that would fail (duplicate key) if two replicas ever ran it twice. */
class CreateWidgets1763800000000 implements MigrationInterface {
  name = 'CreateWidgets1763800000000';
  async up(runner: QueryRunner): Promise<void> {
    await runner.query('CREATE TABLE "inventory"."widgets" (id int PRIMARY KEY)');
    await runner.query('SELECT pg_sleep(0.3)');
    await runner.query('INSERT INTO "inventory"."widgets" (id) VALUES (1)');
  }
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE "inventory"."widgets"');
  }
}

/** Built without blocking writes, outside a transaction: it waits for every snapshot older than its own. */
class IndexWidgets1763800000001 implements MigrationInterface {
  name = 'IndexWidgets1763800000001';
  transaction = false;
  async up(runner: QueryRunner): Promise<void> {
    await runner.query('CREATE INDEX CONCURRENTLY widgets_id_idx ON "inventory"."widgets" (id)');
  }
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX CONCURRENTLY "inventory"."widgets_id_idx"');
  }
}

const quietLogger = { info: () => undefined, warn: () => undefined };

const settings = (url: string): DatabaseSettings => ({
  url,
  schema: 'inventory',
  poolMax: 2,
  applicationName: 'persistence-int-spec',
  entities: [],
  migrations: [CreateWidgets1763800000000],
});

describe(Database.name, () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase();
  });

  afterEach(async () => {
    await db.drop();
  });

  it('runs a prepared statement again after a migration changed what it returns (rows)', async () => {
    const database = new Database(settings(db.url), quietLogger);
    await database.whenReady();
    const read = () => database.rows<{ id: unknown }>('SELECT id FROM "inventory"."widgets"', [], 'widgets');
    // Both connections of the pool (2) prepare the statement, for an int column.
    expect(await Promise.all([read(), read()])).toEqual([[{ id: 1 }], [{ id: 1 }]]);
    await database.source.query('ALTER TABLE "inventory"."widgets" ALTER COLUMN id TYPE text');
    expect(await Promise.all([read(), read()])).toEqual([[{ id: '1' }], [{ id: '1' }]]);
    await database.close();
  });

  it('runs each migration exactly once when replicas start at the same time', async () => {
    const replicas = [1, 2, 3].map(() => new Database(settings(db.url), quietLogger));

    await Promise.all(replicas.map((replica) => replica.whenReady()));

    const applied = await queryDatabase(db.url, 'SELECT name FROM "inventory"."migrations"');
    expect(applied).toEqual([{ name: 'CreateWidgets1763800000000' }]);
    expect(await queryDatabase(db.url, 'SELECT id FROM "inventory"."widgets"')).toEqual([{ id: 1 }]);
    for (const replica of replicas) await expect(replica.check()).resolves.toBeUndefined();
    await Promise.all(replicas.map((replica) => replica.close()));
  });

  it('builds an index CONCURRENTLY while other replicas wait for the migrations (they hold no snapshot meanwhile)', async () => {
    const withIndex = { ...settings(db.url), migrations: [CreateWidgets1763800000000, IndexWidgets1763800000001] };
    const replicas = [1, 2, 3].map(() => new Database(withIndex, quietLogger));

    // Before, the waiting replicas blocked in pg_advisory_lock, holding a snapshot the index build waited for.
    await Promise.all(replicas.map((replica) => replica.whenReady()));

    expect(await queryDatabase(db.url, `SELECT indexname FROM pg_indexes WHERE indexname = 'widgets_id_idx'`)).toEqual([
      { indexname: 'widgets_id_idx' },
    ]);
    await Promise.all(replicas.map((replica) => replica.close()));
  });

  it('keeps trying while Postgres is unreachable and becomes ready by itself when it comes back', async () => {
    const target = new URL(TEST_POSTGRES_URL);
    const proxy = await DelayedTcpProxy.create({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    const sut = new Database(settings(viaProxy.toString()), quietLogger);

    sut.start();
    await new Promise((done) => setTimeout(done, 600));
    await expect(sut.check()).rejects.toThrow(/ECONNREFUSED|connect/);

    await proxy.open();
    await waitFor(() => sut.check().then(() => true), 15_000, 'database ready');
    expect(await queryDatabase(db.url, 'SELECT count(*)::int AS n FROM "inventory"."widgets"')).toEqual([{ n: 1 }]);

    await sut.close();
    await proxy.close();
  });
});
