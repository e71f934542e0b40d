// `npm run bench:retention`: what keeping runs for a while costs (issue 20). One fresh database, migrated by
// compute-runtime's own migrations, holds the same runs twice: in `runtime.runs` (partitioned by day, as
// shipped) and in `runtime.runs_flat` (one table with a primary key on id: the release before). Then:
//   fill:    BENCH_RUNS runs (default 10,000,000) over BENCH_DAYS days (default 30) into each, rows/s;
//   expire:  the oldest day, by dropping its partition (maintainDailyPartitions, as the runtime does) next to
//            DELETE of the same rows from the flat table and the VACUUM it then needs: time and WAL written;
//   run path on the full tables: RunRepository.insertClaimed (locks + a check of every partition) next to the
//            release before's INSERT ... ON CONFLICT (id), and the claim (UPDATE by id) and read by id on each.
// Prints tables; writes bench/results/retention-<time>.json.
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { buildProjects, createBenchDatabase, require, root } from './lib.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 10_000_000);
const DAYS = Number(process.env.BENCH_DAYS ?? 30);
const PATH_RUNS = Number(process.env.BENCH_PATH_RUNS ?? 20_000);
const BATCH = 50;
const CONCURRENCY = 4;
const DAY_MS = 86_400_000;

buildProjects(['persistence', 'compute-runtime']);
const pg = require('pg');
const {
  Database,
  Outbox,
  createDailyPartitions,
  maintainDailyPartitions,
  startOfDay,
} = require('@signalbox/persistence');
const { migrations } = require(join(root, 'apps/compute-runtime/dist/database/migrations/index.js'));
const { RunRepository } = require(join(root, 'apps/compute-runtime/dist/runs/run.repository.js'));

const quiet = { info: () => undefined, warn: () => undefined };
const seconds = (start) => (performance.now() - start) / 1000;
const db = await createBenchDatabase('signalbox_bench_retention');
const database = new Database(
  { url: db.url, schema: 'runtime', poolMax: CONCURRENCY + 2, applicationName: 'bench', entities: [], migrations },
  quiet,
);
const results = {};
try {
  await database.whenReady();
  const sql = (text, params) => database.source.query(text, params);
  const now = new Date();
  const first = new Date(startOfDay(now).getTime() - (DAYS - 1) * DAY_MS);
  await createDailyPartitions(database.source, { table: 'runtime.runs' }, first, now);
  await sql(`CREATE TABLE runtime.runs_flat (LIKE runtime.runs INCLUDING DEFAULTS, PRIMARY KEY (id))`);
  for (const [name, columns] of [
    ['queued', 'workspace_slug, queued_at DESC, id'],
    ['trigger', 'workspace_slug, trigger_id, queued_at DESC'],
    ['function', 'workspace_slug, function_id, queued_at DESC'],
    ['status', 'workspace_slug, status, queued_at DESC'],
  ]) {
    await sql(`CREATE INDEX runs_flat_${name}_idx ON runtime.runs_flat (${columns})`);
  }

  // fill: the same rows into both tables, a day at a time (a run of ~600 bytes: params, result, logs, steps).
  const fill = async (table) => {
    const start = performance.now();
    const perDay = Math.ceil(RUNS / DAYS);
    for (let day = 0; day < DAYS; day++) {
      await sql(
        `INSERT INTO ${table} (id, workspace_slug, trigger_id, function_id, status, execution_params, result, logs,
                               steps, attempt, attempts, requested_by, queued_at, started_at, finished_at, duration_ms)
         SELECT md5(${day} || '/' || i)::uuid, 'ws-' || (i % 50), md5('t' || (i % 500))::uuid, md5('f' || (i % 100))::uuid,
                'completed', json_build_object('orderId', 'o-' || i, 'customer', json_build_object('id', i % 9973, 'tier', 'gold'), 'items', json_build_array(1, 2, 3)),
                json_build_object('ok', true, 'total', i % 1000),
                jsonb_build_array(jsonb_build_object('at', '2026-12-06T10:00:00.000Z', 'level', 'info', 'args', jsonb_build_array('processing', i))),
                '[]', 1, '[{"attempt":1,"status":"completed"}]', 'router', t, t, t + interval '20 ms', 20
           FROM generate_series(1, $1) AS i,
                LATERAL (SELECT $2::timestamptz + (i::double precision / $1) * interval '1 day' AS t) AS at`,
        [Math.min(perDay, RUNS - day * perDay), new Date(first.getTime() + day * DAY_MS)],
      );
    }
    const [{ count }] = await sql(`SELECT count(*)::int AS count FROM ${table}`);
    return { table, runs: count, seconds: seconds(start), rowsPerSecond: Math.round(count / seconds(start)) };
  };
  console.log(`filling ${RUNS} runs over ${DAYS} days into each table...`);
  results.fill = [await fill('runtime.runs'), await fill('runtime.runs_flat')];
  await sql('VACUUM ANALYZE runtime.runs');
  await sql('VACUUM ANALYZE runtime.runs_flat');
  const [{ size, flatSize }] = await sql(
    `SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) AS size,
            pg_size_pretty(pg_total_relation_size('runtime.runs_flat')) AS "flatSize"
       FROM pg_inherits WHERE inhparent = 'runtime.runs'::regclass`,
  );
  console.table(results.fill.map((f) => ({ ...f, size: f.table === 'runtime.runs' ? size : flatSize })));

  // run path on the full tables: new runs inserted claimed, then claimed again by id (nothing to do), then read.
  const ids = { partitioned: [], flat: [] };
  const pathCase = async (name, work) => {
    const items = Array.from({ length: PATH_RUNS }, () => randomUUID());
    const batches = [];
    for (let i = 0; i < items.length; i += BATCH) batches.push(items.slice(i, i + BATCH));
    const start = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let batch = batches.shift(); batch; batch = batches.shift()) await work(batch);
      }),
    );
    return { case: name, runs: PATH_RUNS, runsPerSecond: Math.round(PATH_RUNS / seconds(start)), items };
  };
  // Nothing here writes outbox entries; the repository needs one all the same.
  const outbox = new Outbox(database, { table: 'runtime.outbox', publish: async () => undefined, logger: console });
  const runs = new RunRepository(database, outbox);
  const dispatched = (id) => ({
    id,
    workspace: 'ws-1',
    triggerId: randomUUID(),
    functionId: randomUUID(),
    executionParams: { orderId: id, items: [1, 2, 3] },
    requestedBy: 'router',
  });
  const path = [];
  let c = await pathCase('ours: RunRepository.insertClaimed, partitioned (lock + check every partition)', (batch) =>
    Promise.all(batch.map((id) => runs.insertClaimed(dispatched(id), 30_000))),
  );
  ids.partitioned = c.items;
  path.push(c);
  c = await pathCase('before: INSERT ... ON CONFLICT (id), one table', (batch) =>
    sql(
      `INSERT INTO runtime.runs_flat (id, workspace_slug, trigger_id, function_id, status, execution_params, requested_by,
                                      attempt, started_at, lease_until)
       SELECT x.id, x.workspace_slug, x.trigger_id, x.function_id, 'running', x.execution_params, x.requested_by,
              1, now(), now() + interval '30 s'
         FROM json_to_recordset($1::json) AS x(id uuid, workspace_slug text, trigger_id uuid, function_id uuid,
                                               execution_params json, requested_by text)
       ON CONFLICT (id) DO NOTHING RETURNING *`,
      [
        JSON.stringify(
          batch.map((id) => {
            const run = dispatched(id);
            return {
              ...run,
              workspace_slug: run.workspace,
              trigger_id: run.triggerId,
              function_id: run.functionId,
              execution_params: run.executionParams,
              requested_by: run.requestedBy,
            };
          }),
        ),
      ],
    ),
  );
  ids.flat = c.items;
  path.push(c);
  const byId = (name, list, work) => {
    const queue = [...list];
    return pathCase(name, async (batch) => {
      for (let n = 0; n < batch.length; n++) await work(queue.pop());
    });
  };
  // The release before's statements, on the flat table.
  const CLAIM = `UPDATE runtime.runs_flat SET status = 'running', attempt = attempt + 1, started_at = now()
                  WHERE id = $1 AND workspace_slug = $2
                    AND ((status = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= now()))
                         OR (status = 'running' AND lease_until < now()))
                 RETURNING *`;
  const STATUS = 'SELECT status FROM runtime.runs_flat WHERE id = $1 AND workspace_slug = $2';
  const READ = 'SELECT * FROM runtime.runs_flat WHERE workspace_slug = $2 AND id = $1';
  // A claim of a run that is running (a redelivery): the claim finds nothing to take, then reads its status.
  path.push(
    await byId('ours: RunRepository.claim (a running run), partitioned', ids.partitioned, (id) =>
      runs.claim(id, 'ws-1', 30_000),
    ),
  );
  path.push(
    await byId('before: claim + status by id, one table', ids.flat, async (id) => {
      await sql(CLAIM, [id, 'ws-1']);
      await sql(STATUS, [id, 'ws-1']);
    }),
  );
  path.push(await byId('ours: RunRepository.find, partitioned', ids.partitioned, (id) => runs.find('ws-1', id)));
  path.push(await byId('before: read by id, one table', ids.flat, (id) => sql(READ, [id, 'ws-1'])));
  const old = (await sql('SELECT id FROM runtime.runs ORDER BY queued_at LIMIT $1', [PATH_RUNS / 4])).map((r) => r.id);
  path.push(
    await byId('ours: RunRepository.find of a run 29 days old, partitioned', old, (id) => runs.find('ws-1', id)),
  );
  results.path = path.map(({ items: _, ...rest }) => rest);
  console.log(
    `\nrun path with ${RUNS} runs kept (${DAYS} daily partitions), ${BATCH} per batch, ${CONCURRENCY} connections`,
  );
  console.table(results.path);

  // expire the oldest day from each.
  const wal = async () => (await sql('SELECT pg_current_wal_lsn()::text AS lsn'))[0].lsn;
  const walBytes = async (from) =>
    Number((await sql('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint AS bytes', [from]))[0].bytes);
  // The rows span DAYS days up to today: a retention of DAYS - 2 days expires exactly the oldest day.
  const cutoff = new Date(first.getTime() + DAY_MS);
  let lsn = await wal();
  let start = performance.now();
  const dropped = await maintainDailyPartitions(
    database.source,
    { table: 'runtime.runs' },
    { retentionDays: DAYS - 2, daysAhead: 0 },
    quiet,
    now,
  );
  const ours = {
    case: `ours: drop the day's partition (${dropped?.dropped.length ?? 0})`,
    seconds: seconds(start),
    walMB: (await walBytes(lsn)) / 1e6,
  };
  lsn = await wal();
  start = performance.now();
  const deleted = await sql('DELETE FROM runtime.runs_flat WHERE queued_at < $1', [cutoff]);
  const deleteSeconds = seconds(start);
  const vacuumStart = performance.now();
  await sql('VACUUM runtime.runs_flat');
  const before = {
    case: `before: DELETE the day's ${deleted[1]} runs, then VACUUM`,
    seconds: seconds(start),
    deleteSeconds,
    vacuumSeconds: seconds(vacuumStart),
    walMB: (await walBytes(lsn)) / 1e6,
  };
  results.expire = [ours, before];
  console.log(`\nexpiring the oldest day (${Math.ceil(RUNS / DAYS)} runs)`);
  console.table(results.expire);
} finally {
  await database.close();
  await db.drop();
}
mkdirSync(join(root, 'bench/results'), { recursive: true });
const file = join(root, `bench/results/retention-${new Date().toISOString().replaceAll(':', '-')}.json`);
writeFileSync(file, JSON.stringify({ runs: RUNS, days: DAYS, ...results }, null, 2));
console.log(`written to ${file}`);
