import { createDailyPartitions } from '@signalbox/persistence';
import type { MigrationInterface, QueryRunner } from 'typeorm';

const RUNS = { table: 'runtime.runs' };

const COLUMNS = `id, workspace_slug, trigger_id, function_id, function_version, status, execution_params, result, error,
  logs, logs_truncated, steps, attempt, attempts, requested_by, queued_at, started_at, finished_at, lease_until,
  next_attempt_at, duration_ms, cpu_time_ms`;

/** The old table's indexes, renamed out of the way of the new table's (index names are unique per schema). */
const OLD_INDEXES = [
  'runs_pkey',
  'runs_workspace_queued_idx',
  'runs_workspace_trigger_idx',
  'runs_workspace_function_idx',
  'runs_workspace_status_idx',
];

/**
 * Issue 20: `runtime.runs` partitioned by day on `queued_at`, so that expiring a day of runs is dropping a
 * table (see `runRetention`), and `execution_params` and `result` stored as `json`, which keeps the keys in
 * the order the caller (or the function) wrote them, where `jsonb` sorted them. The primary key includes the
 * partition key; a run id is still run once, because every insert checks all partitions under a lock on the id
 * (`RunRepository`). The existing rows are copied into their days' partitions in this migration (one
 * transaction: the old release's statements on the table wait for it; docs/operations.md gives its speed).
 */
export class PartitionRuns1796800000000 implements MigrationInterface {
  name = 'PartitionRuns1796800000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE runtime.runs RENAME TO runs_unpartitioned');
    for (const index of OLD_INDEXES) {
      await runner.query(`ALTER INDEX IF EXISTS runtime.${index} RENAME TO ${index.replace('runs_', 'runs_old_')}`);
    }
    await runner.query(`
      CREATE TABLE runtime.runs (
        id uuid NOT NULL,
        workspace_slug text NOT NULL,
        trigger_id uuid NOT NULL,
        function_id uuid NOT NULL,
        function_version integer,
        status text NOT NULL,
        execution_params json NOT NULL DEFAULT '{}',
        result json,
        error jsonb,
        logs jsonb NOT NULL DEFAULT '[]',
        logs_truncated boolean NOT NULL DEFAULT false,
        steps jsonb NOT NULL DEFAULT '[]',
        attempt integer NOT NULL DEFAULT 0,
        attempts jsonb NOT NULL DEFAULT '[]',
        requested_by text NOT NULL,
        queued_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        lease_until timestamptz,
        next_attempt_at timestamptz,
        duration_ms integer,
        cpu_time_ms integer,
        PRIMARY KEY (id, queued_at)
      ) PARTITION BY RANGE (queued_at)`);
    await runner.query('CREATE INDEX runs_workspace_queued_idx ON runtime.runs (workspace_slug, queued_at DESC, id)');
    await runner.query(
      'CREATE INDEX runs_workspace_trigger_idx ON runtime.runs (workspace_slug, trigger_id, queued_at DESC)',
    );
    await runner.query(
      'CREATE INDEX runs_workspace_function_idx ON runtime.runs (workspace_slug, function_id, queued_at DESC)',
    );
    await runner.query(
      'CREATE INDEX runs_workspace_status_idx ON runtime.runs (workspace_slug, status, queued_at DESC)',
    );

    // A partition for each day that has runs, and for today and the two days ahead (runRetention keeps that up).
    const days = (await runner.query(
      `SELECT DISTINCT to_char(queued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day FROM runtime.runs_unpartitioned`,
    )) as Array<{ day: string }>;
    for (const { day } of days) {
      const start = new Date(`${day}T00:00:00.000Z`);
      await createDailyPartitions(runner, RUNS, start, start);
    }
    const now = new Date();
    await createDailyPartitions(runner, RUNS, now, new Date(now.getTime() + 2 * 86_400_000));
    await runner.query(`INSERT INTO runtime.runs (${COLUMNS}) SELECT ${COLUMNS} FROM runtime.runs_unpartitioned`);
    await runner.query('DROP TABLE runtime.runs_unpartitioned');
  }

  down(): Promise<void> {
    return Promise.reject(
      new Error('runtime.runs stays partitioned: restore the backup taken before the upgrade to go back'),
    );
  }
}
