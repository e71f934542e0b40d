import { Injectable } from '@nestjs/common';
import { POLL_CURSOR_KEEP, type PollState } from '@signalbox/contracts';
import { Database, storableJson } from '@signalbox/persistence';

export interface PollRow {
  readonly trigger_id: string;
  readonly workspace_slug: string;
  readonly next_poll_at: Date;
  readonly initialized: boolean;
  readonly seen_ids: string[];
  readonly last_polled_at: Date | null;
  readonly failures: number;
  readonly last_error: string | null;
  readonly runs_started: string;
}

/** The only code that touches `scheduler.polls`. */
@Injectable()
export class PollRepository {
  constructor(private readonly database: Database) {}

  /** Polling triggers that exist (new ones are due at once); rows of triggers that are gone are deleted. */
  async sync(triggers: ReadonlyArray<{ id: string; workspace: string }>, complete: boolean): Promise<void> {
    if (triggers.length > 0) {
      await this.database.source.query(
        `INSERT INTO scheduler.polls (trigger_id, workspace_slug)
         SELECT x.id, x.workspace FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, workspace text)
         ON CONFLICT (trigger_id) DO NOTHING`,
        [storableJson(triggers)],
      );
    }
    if (complete) {
      await this.database.source.query('DELETE FROM scheduler.polls WHERE NOT (trigger_id = ANY($1::uuid[]))', [
        triggers.map((trigger) => trigger.id),
      ]);
    }
  }

  async remove(triggerId: string): Promise<void> {
    await this.database.source.query('DELETE FROM scheduler.polls WHERE trigger_id = $1', [triggerId]);
  }

  /**
   * Claims due polls with a lease (committed at once: no HTTP call runs inside a transaction). A replica that
   * dies while polling loses its claim when the lease ends; every replica can claim.
   */
  async claimDue(limit: number, leaseMs: number): Promise<PollRow[]> {
    // An UPDATE answers [rows, count] through TypeORM's query().
    const [rows] = await this.database.source.query<[PollRow[], number]>(
      `UPDATE scheduler.polls SET claimed_until = now() + make_interval(secs => $2::double precision / 1000)
        WHERE trigger_id IN (
          SELECT trigger_id FROM scheduler.polls
           WHERE next_poll_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
           ORDER BY next_poll_at LIMIT $1 FOR UPDATE SKIP LOCKED)
      RETURNING *`,
      [limit, leaseMs],
    );
    return rows;
  }

  /** A successful poll: the cursor (newest ids last, at most POLL_CURSOR_KEEP) and the next due time. */
  async succeeded(triggerId: string, seen: readonly string[], started: number, nextInMs: number): Promise<void> {
    await this.database.source.query(
      `UPDATE scheduler.polls SET initialized = true, seen_ids = $2, last_polled_at = now(), failures = 0,
              last_error = NULL, runs_started = runs_started + $3, claimed_until = NULL,
              next_poll_at = now() + make_interval(secs => $4::double precision / 1000)
        WHERE trigger_id = $1`,
      [triggerId, storableJson(seen.slice(-POLL_CURSOR_KEEP)), started, nextInMs],
    );
  }

  /** A failed poll keeps the cursor and backs off. */
  async failed(triggerId: string, error: string, nextInMs: number): Promise<void> {
    await this.database.source.query(
      `UPDATE scheduler.polls SET failures = failures + 1, last_error = $2, last_polled_at = now(), claimed_until = NULL,
              next_poll_at = now() + make_interval(secs => $3::double precision / 1000)
        WHERE trigger_id = $1`,
      [triggerId, error.slice(0, 1000), nextInMs],
    );
  }

  /** Not polled now (disabled): looked at again later, cursor untouched. */
  async postpone(triggerId: string, nextInMs: number): Promise<void> {
    await this.database.source.query(
      `UPDATE scheduler.polls SET claimed_until = NULL,
              next_poll_at = now() + make_interval(secs => $2::double precision / 1000)
        WHERE trigger_id = $1`,
      [triggerId, nextInMs],
    );
  }

  async state(workspace: string, triggerId: string): Promise<PollState | null> {
    const rows = await this.database.source.query<PollRow[]>(
      'SELECT * FROM scheduler.polls WHERE workspace_slug = $1 AND trigger_id = $2',
      [workspace, triggerId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      triggerId: row.trigger_id,
      initialized: row.initialized,
      seenIds: row.seen_ids.length,
      lastItemIds: row.seen_ids.slice(-20),
      lastPolledAt: row.last_polled_at?.toISOString() ?? null,
      nextPollAt: row.next_poll_at.toISOString(),
      consecutiveFailures: row.failures,
      lastError: row.last_error,
      runsStarted: Number(row.runs_started),
    };
  }
}
