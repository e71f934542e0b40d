import { Injectable } from '@nestjs/common';
import { Database } from '@signalbox/persistence';
import type { EntityManager } from 'typeorm';

import type { Keyed } from './flow-control';

/** A run as the flow tables keep it: its id, its function (for its message) and when it was queued (its day). */
export interface LinedRun {
  readonly runId: string;
  readonly functionId: string;
  readonly queuedAt: string;
}

/** A throttle key: the last starts given out to runs (in order), and the last starts that happened. */
export interface ThrottleState {
  readonly reserved: readonly Date[];
  readonly starts: readonly Date[];
}

/** The one run of a debounce key waiting out its quiet period. */
export interface PendingDebounce {
  readonly jobId: string;
  readonly queuedAt: string;
  readonly dueAt: Date;
}

const keyParams = (k: Keyed) => [k.workspace, k.triggerId, k.key];
const SAME_KEY = 'workspace_slug = $1 AND trigger_id = $2 AND key = $3';

/**
 * The state of the flow-control gates (`runtime.flow_*`, migration AddFlowControl): concurrency slots and the
 * line of runs waiting for one, throttle start times, debounce's waiting run. Every change is made in
 * `locked`, under the advisory locks of the gates and keys it touches.
 */
@Injectable()
export class FlowRepository {
  constructor(private readonly database: Database) {}

  /**
   * `work` in one transaction that holds an advisory lock per name (taken in the order given: every caller names
   * the gates in the same order, debounce, throttle, concurrency, so two transactions never wait on each other in
   * a circle), with the database's clock.
   */
  locked<T>(locks: readonly string[], work: (tx: EntityManager, now: Date) => Promise<T>): Promise<T> {
    return this.database.source.transaction('READ COMMITTED', async (tx) => {
      for (const lock of locks) await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [lock]);
      const [{ now }] = await tx.query<Array<{ now: Date }>>('SELECT clock_timestamp() AS now');
      return work(tx, now);
    });
  }

  async debounceOf(tx: EntityManager, k: Keyed): Promise<PendingDebounce | null> {
    const [row] = await tx.query<Array<{ run_id: string; queued_at: Date; due_at: Date }>>(
      `SELECT run_id, queued_at, due_at FROM runtime.flow_debounce WHERE ${SAME_KEY}`,
      keyParams(k),
    );
    return row ? { jobId: row.run_id, queuedAt: row.queued_at.toISOString(), dueAt: row.due_at } : null;
  }

  async setDebounce(tx: EntityManager, k: Keyed, runId: string, queuedAt: string, dueAt: Date): Promise<void> {
    await tx.query(
      `INSERT INTO runtime.flow_debounce (workspace_slug, trigger_id, key, run_id, queued_at, due_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (workspace_slug, trigger_id, key)
       DO UPDATE SET run_id = excluded.run_id, queued_at = excluded.queued_at, due_at = excluded.due_at`,
      [...keyParams(k), runId, queuedAt, dueAt],
    );
  }

  /** The run's quiet period is over: the key has no waiting run (unless a later one took its place). */
  async clearDebounce(tx: EntityManager, k: Keyed, runId: string): Promise<void> {
    await tx.query(`DELETE FROM runtime.flow_debounce WHERE ${SAME_KEY} AND run_id = $4`, [...keyParams(k), runId]);
  }

  /** A throttle key's last `limit` starts given out and last `limit` starts made, each oldest first. */
  async throttleOf(tx: EntityManager, k: Keyed): Promise<ThrottleState> {
    const [row] = await tx.query<Array<{ reserved: Date[]; starts: Date[] }>>(
      `SELECT reserved, starts FROM runtime.flow_throttle WHERE ${SAME_KEY}`,
      keyParams(k),
    );
    return row ? { reserved: row.reserved, starts: row.starts } : { reserved: [], starts: [] };
  }

  async setThrottle(tx: EntityManager, k: Keyed, state: ThrottleState, expiresAt: Date): Promise<void> {
    await tx.query(
      `INSERT INTO runtime.flow_throttle (workspace_slug, trigger_id, key, reserved, starts, expires_at)
       VALUES ($1, $2, $3, $4::timestamptz[], $5::timestamptz[], $6)
       ON CONFLICT (workspace_slug, trigger_id, key)
       DO UPDATE SET reserved = excluded.reserved, starts = excluded.starts, expires_at = excluded.expires_at`,
      [
        ...keyParams(k),
        state.reserved.map((at) => at.toISOString()),
        state.starts.map((at) => at.toISOString()),
        expiresAt,
      ],
    );
  }

  async holdsSlot(tx: EntityManager, runId: string): Promise<boolean> {
    const rows = await tx.query<unknown[]>('SELECT 1 FROM runtime.flow_slots WHERE run_id = $1', [runId]);
    return rows.length > 0;
  }

  async slotsHeld(tx: EntityManager, k: Keyed): Promise<number> {
    const [{ held }] = await tx.query<Array<{ held: number }>>(
      `SELECT count(*)::int AS held FROM runtime.flow_slots WHERE ${SAME_KEY}`,
      keyParams(k),
    );
    return held;
  }

  /** Up to `max` runs first in the key's line (before `before`, a rank and run id, when given). */
  async firstInLine(
    tx: EntityManager,
    k: Keyed,
    max: number,
    before?: { rank: Date; runId: string },
  ): Promise<LinedRun[]> {
    if (max <= 0) return [];
    const params: unknown[] = [...keyParams(k), max];
    let ahead = '';
    if (before) {
      params.push(before.rank, before.runId);
      ahead = ' AND (rank, run_id) < ($5, $6::uuid)';
    }
    const rows = await tx.query<Array<{ run_id: string; function_id: string; queued_at: Date }>>(
      `SELECT run_id, function_id, queued_at FROM runtime.flow_waiting WHERE ${SAME_KEY}${ahead}
        ORDER BY rank, run_id LIMIT $4`,
      params,
    );
    return rows.map((row) => ({
      runId: row.run_id,
      functionId: row.function_id,
      queuedAt: row.queued_at.toISOString(),
    }));
  }

  /** The runs take slots of the key, and leave its line if they were in it. */
  async takeSlots(tx: EntityManager, k: Keyed, runs: readonly LinedRun[]): Promise<void> {
    if (runs.length === 0) return;
    await tx.query(
      `INSERT INTO runtime.flow_slots (run_id, workspace_slug, trigger_id, key, queued_at)
       SELECT r.id, $1, $2, $3, r.queued_at FROM unnest($4::uuid[], $5::timestamptz[]) AS r(id, queued_at)
       ON CONFLICT (run_id) DO NOTHING`,
      [...keyParams(k), runs.map((run) => run.runId), runs.map((run) => run.queuedAt)],
    );
    await tx.query('DELETE FROM runtime.flow_waiting WHERE run_id = ANY($1::uuid[])', [runs.map((run) => run.runId)]);
  }

  /** The run waits in the key's line, at `rank`; a run already in it keeps its place. */
  async joinLine(tx: EntityManager, k: Keyed, run: LinedRun, rank: Date): Promise<void> {
    await tx.query(
      `INSERT INTO runtime.flow_waiting (run_id, workspace_slug, trigger_id, function_id, key, rank, queued_at)
       VALUES ($4, $1, $2, $5, $3, $6, $7) ON CONFLICT (run_id) DO NOTHING`,
      [...keyParams(k), run.runId, run.functionId, rank, run.queuedAt],
    );
  }

  /** A waiting run's place in its line (1 = next), or null when it is in none. */
  async placeInLine(workspace: string, runId: string): Promise<number | null> {
    const [row] = await this.database.source.query<Array<{ place: number }>>(
      `SELECT (SELECT count(*)::int + 1 FROM runtime.flow_waiting w
                WHERE w.workspace_slug = me.workspace_slug AND w.trigger_id = me.trigger_id AND w.key = me.key
                  AND (w.rank, w.run_id) < (me.rank, me.run_id)) AS place
         FROM runtime.flow_waiting me WHERE me.run_id = $1 AND me.workspace_slug = $2`,
      [runId, workspace],
    );
    return row?.place ?? null;
  }

  /** Keys with runs that have waited at least `forMs` (the keeper admits them if slots are free). */
  async linesWaitingSince(forMs: number, max: number): Promise<Keyed[]> {
    const rows = await this.database.source.query<Array<{ workspace_slug: string; trigger_id: string; key: string }>>(
      `SELECT DISTINCT workspace_slug, trigger_id, key FROM runtime.flow_waiting
        WHERE since < now() - make_interval(secs => $1::double precision / 1000) LIMIT $2`,
      [forMs, max],
    );
    return rows.map((row) => ({ workspace: row.workspace_slug, triggerId: row.trigger_id, key: row.key }));
  }

  /**
   * What no run needs any more: slots and places in line of runs that are gone or final (a crash between two
   * statements, a run removed by retention), throttle keys with no start in their last period, and debounce
   * entries a day past due. Answers how many slots it freed.
   */
  async sweep(): Promise<number> {
    const ofLiveRun = (table: string, statuses: string) => `EXISTS (
      SELECT 1 FROM runtime.runs r WHERE r.id = ${table}.run_id AND r.status IN (${statuses})
         AND r.queued_at >= ${table}.queued_at - interval '1 second' AND r.queued_at < ${table}.queued_at + interval '1 second')`;
    const [, freed] = await this.database.source.query<[unknown[], number]>(
      `DELETE FROM runtime.flow_slots WHERE acquired_at < now() - interval '1 minute'
          AND NOT ${ofLiveRun('flow_slots', `'queued', 'running'`)}`,
    );
    await this.database.source.query(
      `DELETE FROM runtime.flow_waiting WHERE since < now() - interval '1 minute'
          AND NOT ${ofLiveRun('flow_waiting', `'queued'`)}`,
    );
    await this.database.source.query(`DELETE FROM runtime.flow_throttle WHERE expires_at < now()`);
    await this.database.source.query(`DELETE FROM runtime.flow_debounce WHERE due_at < now() - interval '1 day'`);
    return freed;
  }
}
