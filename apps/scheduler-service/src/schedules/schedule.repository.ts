import { Injectable } from '@nestjs/common';
import { MetricsService } from '@signalbox/observability';
import { Database, storableJson } from '@signalbox/persistence';
import type { Counter } from 'prom-client';
import type { QueryRunner } from 'typeorm';

import type { FireLogEntry, ScheduledTrigger, ScheduleRow } from './schedule.types';
import { applyConfig } from './schedule-config';

interface Row {
  trigger_id: string;
  workspace_slug: string;
  function_id: string;
  trigger_version: number;
  enabled: boolean;
  interval_seconds: number | null;
  cron: string | null;
  timezone: string | null;
  dst_gap: ScheduleRow['dstGap'];
  catch_up: ScheduleRow['catchUp'];
  overlap: ScheduleRow['overlap'];
  next_due_at: Date | null;
  wake_at: Date | null;
  running_run_id: string | null;
  buffered_due_at: Date | null;
  last_scheduled_at: Date | null;
  last_fired_at: Date | null;
  last_run_id: string | null;
  disabled_at: Date | null;
}

interface LogRow {
  outcome: 'missed' | 'skipped';
  reason: string;
  count: number;
  first_scheduled_at: Date;
  last_scheduled_at: Date;
  recorded_at: Date;
}

const toSchedule = (row: Row): ScheduleRow => ({
  triggerId: row.trigger_id,
  workspaceSlug: row.workspace_slug,
  functionId: row.function_id,
  triggerVersion: row.trigger_version,
  enabled: row.enabled,
  interval: row.interval_seconds,
  cron: row.cron,
  timezone: row.timezone,
  dstGap: row.dst_gap,
  catchUp: row.catch_up,
  overlap: row.overlap,
  nextDueAt: row.next_due_at,
  wakeAt: row.wake_at,
  runningRunId: row.running_run_id,
  bufferedDueAt: row.buffered_due_at,
  lastScheduledAt: row.last_scheduled_at,
  lastFiredAt: row.last_fired_at,
  lastRunId: row.last_run_id,
  disabledAt: row.disabled_at,
});

const toRecord = (row: ScheduleRow) => ({
  trigger_id: row.triggerId,
  workspace_slug: row.workspaceSlug,
  function_id: row.functionId,
  trigger_version: row.triggerVersion,
  enabled: row.enabled,
  interval_seconds: row.interval,
  cron: row.cron,
  timezone: row.timezone,
  dst_gap: row.dstGap,
  catch_up: row.catchUp,
  overlap: row.overlap,
  next_due_at: row.nextDueAt,
  wake_at: row.wakeAt,
  running_run_id: row.runningRunId,
  buffered_due_at: row.bufferedDueAt,
  last_scheduled_at: row.lastScheduledAt,
  last_fired_at: row.lastFiredAt,
  last_run_id: row.lastRunId,
  disabled_at: row.disabledAt,
});

const COLUMNS = Object.keys(toRecord({} as ScheduleRow));
const COLUMN_TYPES: Record<string, string> = {
  trigger_id: 'uuid',
  workspace_slug: 'text',
  function_id: 'uuid',
  trigger_version: 'integer',
  enabled: 'boolean',
  interval_seconds: 'integer',
  cron: 'text',
  timezone: 'text',
  dst_gap: 'text',
  catch_up: 'text',
  overlap: 'text',
  next_due_at: 'timestamptz',
  wake_at: 'timestamptz',
  running_run_id: 'uuid',
  buffered_due_at: 'timestamptz',
  last_scheduled_at: 'timestamptz',
  last_fired_at: 'timestamptz',
  last_run_id: 'uuid',
  disabled_at: 'timestamptz',
};
const RECORDSET = COLUMNS.map((column) => `${column} ${COLUMN_TYPES[column]}`).join(', ');

/** What a fire pass changes on one claimed row. */
export type FiredUpdate = Pick<
  ScheduleRow,
  | 'triggerId'
  | 'nextDueAt'
  | 'wakeAt'
  | 'runningRunId'
  | 'bufferedDueAt'
  | 'lastScheduledAt'
  | 'lastFiredAt'
  | 'lastRunId'
>;

/**
 * The only code that touches the `scheduler` schema. Every statement is counted
 * (`signalbox_scheduler_db_queries_total`), so the benchmark can report queries per fire.
 */
@Injectable()
export class ScheduleRepository {
  private readonly queries: Counter<never>;
  private readonly missed: Counter<'workspace' | 'trigger_id' | 'outcome' | 'reason'>;

  constructor(
    private readonly database: Database,
    metrics: MetricsService,
  ) {
    this.queries = metrics.counter('signalbox_scheduler_db_queries_total', 'SQL statements sent by the scheduler.', []);
    this.missed = metrics.counter(
      'signalbox_schedule_missed_fires_total',
      'Due times of scheduled triggers that did not run, by trigger and reason (counted when written to the log).',
      ['workspace', 'trigger_id', 'outcome', 'reason'],
    );
  }

  /**
   * Applies trigger configs from the `triggers` bucket. The rows are locked first, so a change waits for a
   * fire in progress and the next fire sees it: a trigger disabled or deleted before its due time was
   * claimed does not fire.
   */
  async applyConfigs(configs: readonly ScheduledTrigger[], now: () => Date): Promise<number> {
    if (configs.length === 0) return 0;
    return this.transaction(async (runner) => {
      const existing = await this.query<Row>(
        runner,
        'SELECT * FROM scheduler.schedules WHERE trigger_id = ANY($1::uuid[]) FOR UPDATE',
        [configs.map((config) => config.id)],
      );
      const current = new Map(existing.map((row) => [row.trigger_id, toSchedule(row)]));
      const at = now();
      const rows: ScheduleRow[] = [];
      const log: FireLogEntry[] = [];
      for (const config of configs) {
        const applied = applyConfig(current.get(config.id), config, at);
        if (!applied) continue;
        rows.push(applied.row);
        log.push(...applied.log);
      }
      if (rows.length > 0) {
        await this.query(
          runner,
          `INSERT INTO scheduler.schedules (${COLUMNS.join(', ')}, updated_at)
           SELECT ${COLUMNS.join(', ')}, now() FROM jsonb_to_recordset($1::jsonb) AS v(${RECORDSET})
           ON CONFLICT (trigger_id) DO UPDATE SET
             ${COLUMNS.filter((c) => c !== 'trigger_id')
               .map((column) => `${column} = EXCLUDED.${column}`)
               .join(', ')}, updated_at = now()`,
          [storableJson(rows.map(toRecord))],
        );
      }
      await this.insertLog(runner, log);
      return rows.length;
    });
  }

  /** Deleted triggers: their schedule and log go at once. */
  async remove(triggerIds: readonly string[]): Promise<void> {
    if (triggerIds.length === 0) return;
    await this.transaction(async (runner) => {
      await this.query(runner, 'DELETE FROM scheduler.schedules WHERE trigger_id = ANY($1::uuid[])', [triggerIds]);
      await this.query(runner, 'DELETE FROM scheduler.fire_log WHERE trigger_id = ANY($1::uuid[])', [triggerIds]);
    });
  }

  /** After a full read of the bucket: schedules whose trigger is no longer there (deleted while we were away). */
  async removeAllExcept(triggerIds: readonly string[]): Promise<number> {
    const gone = await this.query<{ trigger_id: string }>(
      this.database.source,
      'SELECT trigger_id FROM scheduler.schedules WHERE NOT (trigger_id = ANY($1::uuid[]))',
      [triggerIds],
    );
    await this.remove(gone.map((row) => row.trigger_id));
    return gone.length;
  }

  /**
   * Claims up to `limit` schedules whose wake time has come (`FOR UPDATE SKIP LOCKED`: replicas never claim
   * the same row), lets `fire` publish their runs, and writes what it returns, all in one transaction.
   * A replica that dies before the commit loses its claim at once (Postgres rolls back when the connection
   * drops) and another replica fires the same due times with the same run ids, which JetStream and the
   * runtime de-duplicate. A hung replica loses it after `claimTimeoutMs`.
   */
  async claimDue(
    now: Date,
    limit: number,
    claimTimeoutMs: number,
    fire: (rows: ScheduleRow[]) => Promise<{ updates: FiredUpdate[]; log: FireLogEntry[] }>,
  ): Promise<number> {
    return this.transaction(async (runner) => {
      await this.query(runner, `SET LOCAL idle_in_transaction_session_timeout = ${Math.floor(claimTimeoutMs)}`);
      const rows = await this.query<Row>(
        runner,
        `SELECT * FROM scheduler.schedules WHERE wake_at <= $1 ORDER BY wake_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, limit],
      );
      if (rows.length === 0) return 0;
      const { updates, log } = await fire(rows.map(toSchedule));
      if (updates.length > 0) {
        await this.query(
          runner,
          `UPDATE scheduler.schedules s SET
             next_due_at = v.next_due_at, wake_at = v.wake_at, running_run_id = v.running_run_id,
             buffered_due_at = v.buffered_due_at, last_scheduled_at = v.last_scheduled_at,
             last_fired_at = v.last_fired_at, last_run_id = v.last_run_id, updated_at = now()
           FROM jsonb_to_recordset($1::jsonb) AS v(trigger_id uuid, next_due_at timestamptz, wake_at timestamptz,
             running_run_id uuid, buffered_due_at timestamptz, last_scheduled_at timestamptz,
             last_fired_at timestamptz, last_run_id uuid)
           WHERE s.trigger_id = v.trigger_id`,
          [
            storableJson(
              updates.map((u) => ({
                trigger_id: u.triggerId,
                next_due_at: u.nextDueAt,
                wake_at: u.wakeAt,
                running_run_id: u.runningRunId,
                buffered_due_at: u.bufferedDueAt,
                last_scheduled_at: u.lastScheduledAt,
                last_fired_at: u.lastFiredAt,
                last_run_id: u.lastRunId,
              })),
            ),
          ],
        );
      }
      await this.insertLog(runner, log);
      return rows.length;
    });
  }

  /** The earliest wake time of any schedule, to sleep until then. */
  async earliestWake(): Promise<Date | null> {
    const [row] = await this.query<{ wake_at: Date | null }>(
      this.database.source,
      'SELECT min(wake_at) AS wake_at FROM scheduler.schedules WHERE wake_at IS NOT NULL',
    );
    return row?.wake_at ?? null;
  }

  /** A tracked run ended: the trigger may fire again, and a buffered due time fires now. */
  async runFinished(triggerIds: readonly { triggerId: string; runId: string }[]): Promise<number> {
    if (triggerIds.length === 0) return 0;
    const updated = await this.query<{ trigger_id: string }>(
      this.database.source,
      `UPDATE scheduler.schedules s SET running_run_id = NULL,
         wake_at = CASE WHEN s.buffered_due_at IS NOT NULL AND s.enabled THEN now() ELSE s.wake_at END,
         updated_at = now()
       FROM jsonb_to_recordset($1::jsonb) AS v(trigger_id uuid, run_id uuid)
       WHERE s.trigger_id = v.trigger_id AND s.running_run_id = v.run_id
       RETURNING s.trigger_id`,
      [storableJson(triggerIds.map((t) => ({ trigger_id: t.triggerId, run_id: t.runId })))],
    );
    return updated.length;
  }

  /** One trigger's schedule and its latest missed and skipped entries, scoped by workspace. */
  async get(
    workspace: string,
    triggerId: string,
    logLimit: number,
  ): Promise<{ schedule: ScheduleRow; log: LogRow[] } | null> {
    const [row] = await this.query<Row>(
      this.database.source,
      'SELECT * FROM scheduler.schedules WHERE trigger_id = $1 AND workspace_slug = $2',
      [triggerId, workspace],
    );
    if (!row) return null;
    const log = await this.query<LogRow>(
      this.database.source,
      `SELECT outcome, reason, count, first_scheduled_at, last_scheduled_at, recorded_at FROM scheduler.fire_log
       WHERE trigger_id = $1 AND workspace_slug = $2 ORDER BY id DESC LIMIT $3`,
      [triggerId, workspace, logLimit],
    );
    return { schedule: toSchedule(row), log };
  }

  /** Keeps the newest `keep` log entries per trigger. */
  async pruneLog(keep: number): Promise<number> {
    const deleted = await this.query(
      this.database.source,
      `DELETE FROM scheduler.fire_log f USING (
         SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY trigger_id ORDER BY id DESC) AS n
                         FROM scheduler.fire_log) ranked WHERE n > $1) old
       WHERE f.id = old.id RETURNING f.id`,
      [keep],
    );
    return deleted.length;
  }

  private async insertLog(runner: QueryRunner, log: readonly FireLogEntry[]): Promise<void> {
    if (log.length === 0) return;
    await this.query(
      runner,
      `INSERT INTO scheduler.fire_log (trigger_id, workspace_slug, outcome, reason, count, first_scheduled_at, last_scheduled_at)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS v(trigger_id uuid, workspace_slug text, outcome text, reason text,
         count integer, first_scheduled_at timestamptz, last_scheduled_at timestamptz)`,
      [
        storableJson(
          log.map((entry) => ({
            trigger_id: entry.triggerId,
            workspace_slug: entry.workspaceSlug,
            outcome: entry.outcome,
            reason: entry.reason,
            count: entry.count,
            first_scheduled_at: entry.first,
            last_scheduled_at: entry.last,
          })),
        ),
      ],
    );
    // Counted after the write: a rolled-back pass is counted again by the pass that redoes it, which is rare
    // and errs on the side of showing a miss.
    for (const entry of log) {
      this.missed.inc(
        { workspace: entry.workspaceSlug, trigger_id: entry.triggerId, outcome: entry.outcome, reason: entry.reason },
        entry.count,
      );
    }
  }

  private async transaction<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.database.source.createQueryRunner();
    await runner.connect();
    try {
      await this.query(runner, 'BEGIN');
      const result = await work(runner);
      await this.query(runner, 'COMMIT');
      return result;
    } catch (error) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  private async query<T = unknown>(
    target: { query: (sql: string, params?: unknown[]) => Promise<unknown> },
    sql: string,
    params?: unknown[],
  ): Promise<T[]> {
    this.queries.inc();
    const result = await target.query(sql, params);
    // TypeORM answers UPDATE and DELETE with [rows, rowCount], everything else with rows.
    if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
      return result[0] as T[];
    }
    return (Array.isArray(result) ? result : []) as T[];
  }
}
