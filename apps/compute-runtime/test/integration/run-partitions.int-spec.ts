import { randomUUID } from 'node:crypto';

import {
  createDailyPartitions,
  Database,
  listDailyPartitions,
  maintainDailyPartitions,
  Outbox,
  startOfDay,
} from '@signalbox/persistence';
import { createTestDatabase, queryDatabase, type TestDatabase } from '@signalbox/testing';

import { migrations } from '../../src/database/migrations';
import { PartitionRuns1796800000000 } from '../../src/database/migrations/1796800000000-partition-runs';
import { RunRepository } from '../../src/runs/run.repository';
import { runRetention } from '../../src/runs/run-retention';

const DAY_MS = 86_400_000;
const quietLogger = { info: () => undefined, warn: () => undefined };
const RUNS = { table: 'runtime.runs' };

/** `runtime.runs` partitioned by day (issue 20): one run per id across partitions and replicas, expiry by DROP. */
describe('runs partitioned by day', () => {
  let db: TestDatabase;
  const databases: Database[] = [];

  const replica = async (upTo = migrations.length) => {
    const database = new Database(
      {
        url: db.url,
        schema: 'runtime',
        poolMax: 4,
        applicationName: 'runs-int-spec',
        entities: [],
        migrations: migrations.slice(0, upTo),
      },
      quietLogger,
    );
    databases.push(database);
    await database.whenReady();
    return {
      database,
      runs: new RunRepository(
        database,
        new Outbox(database, { table: 'runtime.outbox', publish: () => Promise.resolve(), logger: quietLogger }),
      ),
    };
  };
  const dispatched = (id: string, executionParams: unknown = { n: 1 }) => ({
    id,
    workspace: 'acme',
    triggerId: randomUUID(),
    functionId: randomUUID(),
    executionParams,
    requestedBy: 'router',
  });
  const insertRow = (id: string, queuedAt: Date) =>
    queryDatabase(
      db.url,
      `INSERT INTO runtime.runs (id, workspace_slug, trigger_id, function_id, status, requested_by, queued_at)
       VALUES ($1, 'acme', $2, $2, 'completed', 'router', $3)`,
      [id, randomUUID(), queuedAt],
    );
  const count = async (id: string) =>
    (await queryDatabase<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM runtime.runs WHERE id = $1', [id]))[0]
      .n;

  beforeEach(async () => {
    db = await createTestDatabase();
  });

  afterEach(async () => {
    await Promise.all(databases.splice(0).map((database) => database.close()));
    await db.drop();
  });

  it('never records one run id twice: not in another day, not from two replicas at once', async () => {
    const [a, b] = [await replica(), await replica()];
    // A run recorded five days ago (a provider's retry of that delivery arrives today).
    const fiveDaysAgo = new Date(Date.now() - 5 * DAY_MS);
    await createDailyPartitions(a.database.source, RUNS, fiveDaysAgo, fiveDaysAgo);
    const old = randomUUID();
    await insertRow(old, fiveDaysAgo);
    expect(await a.runs.insertClaimed(dispatched(old), 30_000)).toBeNull();
    expect(await count(old)).toBe(1);

    // 200 ids, each inserted by both replicas at the same time, twice each.
    const ids = Array.from({ length: 200 }, () => randomUUID());
    const outcomes = await Promise.all(
      ids.flatMap((id) => [a, b, a, b].map(({ runs }) => runs.insertClaimed(dispatched(id), 30_000))),
    );
    const claimed = outcomes.filter((run) => run !== null);
    expect(claimed).toHaveLength(200);
    expect(new Set(claimed.map((run) => run.jobId)).size).toBe(200);
    const [{ n }] = await queryDatabase<{ n: number }>(
      db.url,
      'SELECT count(*)::int AS n FROM runtime.runs WHERE id = ANY($1::uuid[])',
      [ids],
    );
    expect(n).toBe(200);
  });

  it('moves the runs of the release before into their days, and still knows their ids', async () => {
    // The release before: every migration up to the one that partitions runs.
    const before = await replica(
      migrations.findIndex((migration) => migration.name === PartitionRuns1796800000000.name),
    );
    const ids = [randomUUID(), randomUUID()];
    await before.database.source.query(
      `INSERT INTO runtime.runs (id, workspace_slug, trigger_id, function_id, status, requested_by, queued_at,
                                 execution_params, result)
       VALUES ($1, 'acme', $1, $1, 'completed', 'router', now() - interval '3 days', '{"b": 1, "a": 2}', '{"ok": true}'),
              ($2, 'acme', $2, $2, 'queued', 'alice', now(), '{}', NULL)`,
      ids,
    );
    await before.database.close();

    const { runs, database } = await replica();
    const moved = await queryDatabase<{ id: string; status: string; execution_params: unknown; result: unknown }>(
      db.url,
      'SELECT id, status, execution_params, result FROM runtime.runs ORDER BY queued_at',
    );
    expect(moved).toEqual([
      { id: ids[0], status: 'completed', execution_params: { a: 2, b: 1 }, result: { ok: true } },
      { id: ids[1], status: 'queued', execution_params: {}, result: null },
    ]);
    expect(await runs.insertClaimed(dispatched(ids[0]), 30_000)).toBeNull();
    expect(await count(ids[0])).toBe(1);
    expect((await listDailyPartitions(database.source, RUNS)).length).toBe(4); // 3 days ago, today, 2 ahead
  });

  it('finds and claims a run of an older day as it does a recent one', async () => {
    const { database, runs } = await replica();
    const fiveDaysAgo = new Date(Date.now() - 5 * DAY_MS);
    await createDailyPartitions(database.source, RUNS, fiveDaysAgo, fiveDaysAgo);
    const [old, recent] = [randomUUID(), randomUUID()];
    for (const [id, at] of [
      [old, fiveDaysAgo],
      [recent, new Date()],
    ] as const) {
      await queryDatabase(
        db.url,
        `INSERT INTO runtime.runs (id, workspace_slug, trigger_id, function_id, status, requested_by, queued_at)
         VALUES ($1, 'acme', $1, $1, 'queued', 'alice', $2)`,
        [id, at],
      );
    }
    for (const id of [old, recent]) {
      expect(await runs.statusOf('acme', id)).toBe('queued');
      expect(await runs.claim(id, 'acme', 30_000)).toMatchObject({ kind: 'claimed', run: { jobId: id, attempt: 1 } });
      expect(await runs.claim(id, 'acme', 30_000)).toMatchObject({ kind: 'busy' });
      expect((await runs.find('acme', id))?.run.status).toBe('running');
      expect(await runs.find('other', id)).toBeNull();
    }
  });

  it('keeps the keys of params and results in the order they were written', async () => {
    const { runs } = await replica();
    const params = { zeta: 1, alpha: { y: 1, b: 2 } };
    const run = await runs.insertClaimed(dispatched(randomUUID(), params), 30_000);
    expect(JSON.stringify(run!.executionParams)).toBe(JSON.stringify(params));
  });

  it('drops the days older than the retention, makes the days ahead, and leaves the rest', async () => {
    const { database } = await replica();
    const now = new Date();
    const first = new Date(startOfDay(now).getTime() - 40 * DAY_MS);
    await createDailyPartitions(database.source, RUNS, first, now);
    for (let day = 0; day < 40; day++)
      await insertRow(randomUUID(), new Date(first.getTime() + day * DAY_MS + 3_600_000));
    // A run of an expired day that is still queued (retried by hand) keeps its day.
    const retried = new Date(first.getTime() + 2 * DAY_MS + 7_200_000);
    await queryDatabase(
      db.url,
      `INSERT INTO runtime.runs (id, workspace_slug, trigger_id, function_id, status, requested_by, queued_at)
       VALUES ($1, 'acme', $1, $1, 'queued', 'alice', $2)`,
      [randomUUID(), retried],
    );
    const settings = { retentionDays: 30, daysAhead: 7, keepWhile: "status IN ('queued', 'running')" };
    const results = await Promise.all([
      maintainDailyPartitions(database.source, RUNS, settings, quietLogger, now),
      maintainDailyPartitions(database.source, RUNS, settings, quietLogger, now),
    ]);
    // One replica did the work at a time; the second finds nothing left or was turned away.
    const dropped = results.flatMap((result) => result?.dropped ?? []);
    expect(dropped).toHaveLength(9);
    expect(new Set(dropped).size).toBe(9);
    const days = (await listDailyPartitions(database.source, RUNS)).map((p) => p.day.getTime());
    const cutoff = startOfDay(now).getTime() - 30 * DAY_MS;
    expect(days.filter((day) => day < cutoff)).toEqual([startOfDay(retried).getTime()]);
    expect(Math.min(...days.filter((day) => day >= cutoff))).toBe(cutoff);
    expect(Math.max(...days)).toBe(startOfDay(now).getTime() + 7 * DAY_MS);
    // Older than the cutoff: only the kept day's two runs (the queued one, and that day's completed one).
    const [{ n }] = await queryDatabase<{ n: number }>(
      db.url,
      'SELECT count(*)::int AS n FROM runtime.runs WHERE queued_at < $1',
      [new Date(cutoff)],
    );
    expect(n).toBe(2);
  });

  it("deletes a workspace's finished runs older than its own retention, and nobody else's", async () => {
    const { database } = await replica();
    const now = new Date();
    const tenDaysAgo = new Date(now.getTime() - 10 * DAY_MS);
    await createDailyPartitions(database.source, RUNS, new Date(now.getTime() - 11 * DAY_MS), now);
    const insert = (workspace: string, status: string, at: Date) =>
      queryDatabase(
        db.url,
        `INSERT INTO runtime.runs (id, workspace_slug, trigger_id, function_id, status, requested_by, queued_at)
         VALUES ($1, $2, $1, $1, $3, 'router', $4)`,
        [randomUUID(), workspace, status, at],
      );
    for (let day = 0; day <= 10; day++) {
      const at = new Date(now.getTime() - day * DAY_MS - 60_000);
      await insert('acme', 'completed', at);
      await insert('globex', 'completed', at);
    }
    await insert('acme', 'queued', tenDaysAgo); // a retry still to run
    await insert('acme', 'running', tenDaysAgo);
    // More than one batch (5,000 a statement).
    await queryDatabase(
      db.url,
      `INSERT INTO runtime.runs (id, workspace_slug, trigger_id, function_id, status, requested_by, queued_at)
       SELECT gen_random_uuid(), 'acme', gen_random_uuid(), gen_random_uuid(), 'failed', 'router', $1
         FROM generate_series(1, 12000)`,
      [new Date(now.getTime() - 5 * DAY_MS)],
    );
    const kept = runRetention(30);
    const acme = [{ workspace: 'acme', days: 3 }];
    // A service that is stopping deletes nothing more, and says that some is left.
    expect(
      await maintainDailyPartitions(database.source, RUNS, kept, quietLogger, now, acme, () => true),
    ).toMatchObject({ deleted: 0, more: true });
    const result = await maintainDailyPartitions(database.source, RUNS, kept, quietLogger, now, [
      { workspace: 'acme', days: 3 },
      { workspace: 'globex', days: 60 }, // longer than the platform's: nothing to do
    ]);
    expect(result).toMatchObject({ deleted: 12_008, more: false }); // days 3 to 10, and the 12,000
    const left = await queryDatabase<{ workspace_slug: string; n: number }>(
      db.url,
      'SELECT workspace_slug, count(*)::int AS n FROM runtime.runs GROUP BY 1 ORDER BY 1',
    );
    expect(left).toEqual([
      { workspace_slug: 'acme', n: 5 }, // days 0 to 2, the queued one and the running one
      { workspace_slug: 'globex', n: 11 },
    ]);
  });
});
