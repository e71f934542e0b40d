import { Injectable } from '@nestjs/common';
import type { BulkRunAction, BulkRunFilter, BulkRunJob, BulkRunJobStatus } from '@signalbox/contracts';
import { Database } from '@signalbox/persistence';
import type { EntityManager } from 'typeorm';

import type { BulkCursor } from '../runs/run.repository';

interface BulkJobRow {
  id: string;
  workspace_slug: string;
  name: string;
  action: BulkRunAction;
  filter: BulkRunFilter;
  trigger_ids: string[] | null;
  until_queued_at: string;
  status: BulkRunJobStatus;
  total: number;
  processed: number;
  acted: number;
  cursor_queued_at: string | null;
  cursor_id: string | null;
  requested_by: string;
  created_at: Date;
  finished_at: Date | null;
}

/** A running job as the pass that advances it reads it. */
export interface RunningBulkJob {
  readonly id: string;
  readonly workspace: string;
  readonly action: BulkRunAction;
  readonly filter: BulkRunFilter;
  readonly triggerIds: readonly string[] | null;
  /** The job covers runs queued until it started (Postgres's text of the instant). */
  readonly untilQueuedAt: string;
  readonly cursor: BulkCursor | null;
}

/** What one pass did to a page: the runs it looked at and how many of them it acted on. */
export interface BulkPageOutcome<T> {
  readonly page: readonly BulkCursor[];
  readonly acted: number;
  readonly result: T;
}

const COLUMNS = `id, workspace_slug, name, action, filter, trigger_ids, until_queued_at::text AS until_queued_at, status,
  total, processed, acted,
  cursor_queued_at::text AS cursor_queued_at, cursor_id, requested_by, created_at, finished_at`;

function toJob(row: BulkJobRow): BulkRunJob {
  return {
    id: row.id,
    name: row.name,
    action: row.action,
    filter: row.filter,
    status: row.status,
    total: row.total,
    processed: row.processed,
    acted: row.acted,
    requestedBy: row.requested_by,
    createdAt: row.created_at.toISOString(),
    finishedAt: row.finished_at ? row.finished_at.toISOString() : null,
  };
}

/** The only code that touches `runtime.bulk_jobs`. Every read is scoped by workspace. */
@Injectable()
export class BulkJobRepository {
  constructor(private readonly database: Database) {}

  /** Records a job; a second create of the same id (a retried request) changes nothing. Answers the job. */
  async create(job: {
    id: string;
    workspace: string;
    name: string;
    action: BulkRunAction;
    filter: BulkRunFilter;
    triggerIds: readonly string[] | null;
    untilQueuedAt: string;
    total: number;
    requestedBy: string;
  }): Promise<BulkRunJob> {
    // The same id again (a retried request with its Idempotency-Key) changes nothing: the first job answers.
    await this.database.source.query(
      `INSERT INTO runtime.bulk_jobs (id, workspace_slug, name, action, filter, trigger_ids, total, requested_by,
                                      until_queued_at, status, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $7 = 0 THEN 'completed' ELSE 'running' END,
               CASE WHEN $7 = 0 THEN now() END)
       ON CONFLICT (id) DO NOTHING`,
      [
        job.id,
        job.workspace,
        job.name,
        job.action,
        JSON.stringify(job.filter),
        job.triggerIds,
        job.total,
        job.requestedBy,
        job.untilQueuedAt,
      ],
    );
    return (await this.find(job.workspace, job.id))!;
  }

  async find(workspace: string, id: string): Promise<BulkRunJob | null> {
    const [row] = await this.database.source.query<BulkJobRow[]>(
      `SELECT ${COLUMNS} FROM runtime.bulk_jobs WHERE workspace_slug = $1 AND id = $2`,
      [workspace, id],
    );
    return row ? toJob(row) : null;
  }

  /** Stops a running job where it is (after the page in progress, which holds its row); answers it as it is. */
  async cancel(workspace: string, id: string): Promise<BulkRunJob | null> {
    await this.database.source.query(
      `UPDATE runtime.bulk_jobs SET status = 'cancelled', finished_at = now()
        WHERE workspace_slug = $1 AND id = $2 AND status = 'running'`,
      [workspace, id],
    );
    return this.find(workspace, id);
  }

  /**
   * One page of the running job that advanced longest ago and that no other replica holds, in one transaction: `step` acts on the runs after
   * the job's cursor, and the cursor, the counts and (after the last page) the status move with it. A process
   * that dies mid-page leaves nothing of it: the next pass does the page again, once. Null when no job waits.
   */
  async advance<T>(
    pageSize: number,
    step: (manager: EntityManager, job: RunningBulkJob) => Promise<BulkPageOutcome<T>>,
  ): Promise<{ job: BulkRunJob; result: T } | null> {
    return this.database.source.transaction('READ COMMITTED', async (manager) => {
      const [row] = await manager.query<BulkJobRow[]>(
        // The job advanced longest ago (a new one first): jobs take turns, and a large one holds back no other.
        `SELECT ${COLUMNS} FROM runtime.bulk_jobs WHERE status = 'running'
          ORDER BY advanced_at NULLS FIRST, created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
      );
      if (!row) return null;
      const { page, acted, result } = await step(manager, {
        id: row.id,
        workspace: row.workspace_slug,
        action: row.action,
        filter: row.filter,
        triggerIds: row.trigger_ids,
        untilQueuedAt: row.until_queued_at,
        cursor: row.cursor_queued_at && row.cursor_id ? { queuedAt: row.cursor_queued_at, id: row.cursor_id } : null,
      });
      const last = page.at(-1);
      const [updated] = await manager.query<[BulkJobRow[], number]>(
        `UPDATE runtime.bulk_jobs
            SET processed = processed + $2, acted = acted + $3, advanced_at = clock_timestamp(),
                cursor_queued_at = COALESCE($4::timestamptz, cursor_queued_at), cursor_id = COALESCE($5, cursor_id),
                status = CASE WHEN $6 THEN 'completed' ELSE status END,
                finished_at = CASE WHEN $6 THEN now() ELSE finished_at END
          WHERE id = $1
        RETURNING ${COLUMNS}`,
        [row.id, page.length, acted, last?.queuedAt ?? null, last?.id ?? null, page.length < pageSize],
      );
      return { job: toJob(updated[0]), result };
    });
  }

  /** Finished jobs older than `days` go (they are history, not work). */
  async pruneFinished(days: number): Promise<void> {
    await this.database.source.query(
      `DELETE FROM runtime.bulk_jobs WHERE status <> 'running' AND finished_at < now() - make_interval(days => $1)`,
      [days],
    );
  }
}
