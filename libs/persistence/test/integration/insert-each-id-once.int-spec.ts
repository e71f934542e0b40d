import { randomUUID } from 'node:crypto';

import { createTestDatabase, type TestDatabase } from '@signalbox/testing';

import { Database, insertEachIdOnce } from '../../src';

const quietLogger = { info: () => undefined, warn: () => undefined };
const LOCK_CLASS = 0x7e57;

describe(insertEachIdOnce.name, () => {
  let db: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    db = await createTestDatabase();
    database = new Database(
      {
        url: db.url,
        schema: 'shop',
        poolMax: 4,
        applicationName: 'insert-once-int-spec',
        entities: [],
        migrations: [],
      },
      quietLogger,
    );
    await database.whenReady();
    await database.source.query('CREATE TABLE shop.items (id uuid NOT NULL, at timestamptz NOT NULL DEFAULT now())');
  });

  afterAll(async () => {
    await database.close();
    await db.drop();
  });

  /** What the insert sees: the commit mode of its transaction, and whether an item of that id exists. */
  const insertItem = (id: string, options?: { waitForFlush?: boolean }) =>
    insertEachIdOnce(
      database.source,
      LOCK_CLASS,
      [id],
      async (manager) => {
        const [{ synchronous_commit: mode }] =
          await manager.query<Array<{ synchronous_commit: string }>>('SHOW synchronous_commit');
        const rows = await manager.query<unknown[]>(
          'INSERT INTO shop.items (id) SELECT $1::uuid WHERE NOT EXISTS (SELECT 1 FROM shop.items WHERE id = $1) RETURNING id',
          [id],
        );
        return { mode, inserted: rows.length };
      },
      options,
    );

  it('keeps each id to one row when inserters race', async () => {
    const id = randomUUID();
    const results = await Promise.all(Array.from({ length: 8 }, () => insertItem(id)));
    expect(results.reduce((sum, result) => sum + result.inserted, 0)).toBe(1);
    const [{ count }] = await database.source.query('SELECT count(*)::int AS count FROM shop.items WHERE id = $1', [
      id,
    ]);
    expect(count).toBe(1);
  });

  it('waits for the WAL flush by default, and not for this transaction alone when asked', async () => {
    expect((await insertItem(randomUUID())).mode).toBe('on');
    expect((await insertItem(randomUUID(), { waitForFlush: false })).mode).toBe('off');
    // SET LOCAL: the pooled connection goes back as it was.
    const [{ synchronous_commit: after }] = await database.source.query('SHOW synchronous_commit');
    expect(after).toBe('on');
  });
});
