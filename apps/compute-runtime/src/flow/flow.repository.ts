import { Injectable } from '@nestjs/common';
import { Database, daysOf } from '@signalbox/persistence';
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
      for (const lock of locks.slice(0, -1)) {
        await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [lock]);
      }
      // The last lock and the clock in one round trip: the clock is read once the lock is held.
      const [{ now }] = await tx.query<Array<{ now: Date }>>(
        'SELECT clock_timestamp() AS now FROM (SELECT pg_advisory_xact_lock(hashtextextended($1, 0))) AS held',
        [locks.at(-1)],
      );
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

  /**
   * A concurrency key as the gate needs it, in one statement: whether `self` holds a slot already, how many slots
   * are held, and the first runs in line (ahead of `self`, when given) that the free slots go to, in order.
   */
  async slotState(
    tx: EntityManager,
    k: Keyed,
    limit: number,
    self?: { readonly runId: string; readonly rank: Date },
  ): Promise<{ mine: boolean; held: number; first: LinedRun[] }> {
    const [row] = await tx.query<
      Array<{ mine: boolean; held: number; first: Array<{ runId: string; functionId: string; queuedAt: string }> }>
    >(
      `SELECT EXISTS (SELECT 1 FROM runtime.flow_slots WHERE run_id = $5::uuid) AS mine,
              (SELECT count(*)::int FROM runtime.flow_slots WHERE ${SAME_KEY}) AS held,
              COALESCE((
                SELECT json_agg(json_build_object('runId', w.run_id, 'functionId', w.function_id, 'queuedAt', w.queued_at)
                                ORDER BY w.rank, w.run_id)
                  FROM (SELECT run_id, function_id, queued_at, rank FROM runtime.flow_waiting
                         WHERE ${SAME_KEY} AND ($5::uuid IS NULL OR (rank, run_id) < ($6::timestamptz, $5::uuid))
                         ORDER BY rank, run_id
                         LIMIT (SELECT GREATEST(0, $4 - count(*)) FROM runtime.flow_slots WHERE ${SAME_KEY})) AS w
              ), '[]'::json) AS first`,
      [...keyParams(k), limit, self?.runId ?? null, self?.rank ?? null],
    );
    return { mine: row.mine, held: row.held, first: row.first };
  }

  /** Whether any run waits in the key's line (without the lock: a cheap look before taking it). */
  async anyWaiting(k: Keyed): Promise<boolean> {
    const [row] = await this.database.source.query<Array<{ any: boolean }>>(
      `SELECT EXISTS (SELECT 1 FROM runtime.flow_waiting WHERE ${SAME_KEY}) AS any`,
      keyParams(k),
    );
    return row.any;
  }

  /** The runs (admitted from the line) take slots of the key. */
  async takeSlots(tx: EntityManager, k: Keyed, runs: readonly LinedRun[]): Promise<void> {
    if (runs.length === 0) return;
    await tx.query(
      `INSERT INTO runtime.flow_slots (run_id, workspace_slug, trigger_id, key, queued_at)
       SELECT r.id, $1, $2, $3, r.queued_at FROM unnest($4::uuid[], $5::timestamptz[]) AS r(id, queued_at)
       ON CONFLICT (run_id) DO NOTHING`,
      [...keyParams(k), runs.map((run) => run.runId), runs.map((run) => run.queuedAt)],
    );
  }

  /** The runs leave the key's line. */
  async unline(tx: EntityManager, runs: readonly LinedRun[]): Promise<void> {
    if (runs.length === 0) return;
    await tx.query('DELETE FROM runtime.flow_waiting WHERE run_id = ANY($1::uuid[])', [runs.map((run) => run.runId)]);
  }

  /**
   * A claimed run takes a slot of the key (and leaves its line, if it was in it), only if it is still running this
   * `attempt` with a live lease: not cancelled, and not taken over by another runtime. Answers whether it took it.
   */
  async takeOwnSlot(tx: EntityManager, k: Keyed, run: LinedRun, attempt: number): Promise<boolean> {
    const rows = await tx.query<unknown[]>(
      `WITH unlined AS (DELETE FROM runtime.flow_waiting WHERE run_id = $4::uuid)
       INSERT INTO runtime.flow_slots (run_id, workspace_slug, trigger_id, key, queued_at)
       SELECT $4, $1, $2, $3, $5
        WHERE EXISTS (SELECT 1 FROM runtime.runs WHERE id = $4::uuid AND workspace_slug = $1 AND status = 'running' AND attempt = $6
                         AND lease_until > now() AND queued_at >= $7 AND queued_at < $8)
       ON CONFLICT (run_id) DO NOTHING
       RETURNING run_id`,
      [...keyParams(k), run.runId, run.queuedAt, attempt, ...daysOf([run.queuedAt])],
    );
    return rows.length === 1;
  }

  /**
   * The slot of a run that left the sandbox, unless the run holds it again (another runtime took it over when its
   * lease lapsed, or it was admitted again after a retry): normally freed already by its outcome's statement. Answers whether anyone waits in the key's line.
   */
  async releaseUnlessRunning(k: Keyed, runId: string): Promise<boolean> {
    const [row] = await this.database.source.query<Array<{ waiting: boolean }>>(
      `WITH freed AS (
         DELETE FROM runtime.flow_slots s WHERE s.run_id = $4::uuid
            AND NOT EXISTS (SELECT 1 FROM runtime.runs r WHERE r.id = s.run_id AND r.status IN ('queued', 'running')
                              AND r.queued_at >= s.queued_at - interval '1 second'
                              AND r.queued_at < s.queued_at + interval '1 second')
       )
       SELECT EXISTS (SELECT 1 FROM runtime.flow_waiting WHERE ${SAME_KEY}) AS waiting`,
      [...keyParams(k), runId],
    );
    return row.waiting;
  }

  /**
   * The run waits in the key's line, at `rank`; a run already in it keeps its place. `limit` is the key's limit now,
   * by which the keeper tells a line with a free slot.
   */
  async joinLine(tx: EntityManager, k: Keyed & { limit: number }, run: LinedRun, rank: Date): Promise<void> {
    await tx.query(
      `INSERT INTO runtime.flow_waiting (run_id, workspace_slug, trigger_id, function_id, key, slot_limit, rank, queued_at)
       VALUES ($4, $1, $2, $5, $3, $6, $7, $8)
       ON CONFLICT (run_id) DO UPDATE SET slot_limit = excluded.slot_limit`,
      [...keyParams(k), run.runId, run.functionId, k.limit, rank, run.queuedAt],
    );
    await this.limitNow(tx, k);
  }

  /** The key's limit as it is now, on every run in its line (the keeper tells a line with room by it). */
  async limitNow(tx: EntityManager, k: Keyed & { limit: number }): Promise<void> {
    await tx.query(`UPDATE runtime.flow_waiting SET slot_limit = $4 WHERE ${SAME_KEY} AND slot_limit <> $4`, [
      ...keyParams(k),
      k.limit,
    ]);
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

  /**
   * Lines whose runs have waited at least `forMs` and that have a free slot by the limit they joined under (a line
   * that is full is left to its runs' outcomes), the longest waiting first.
   */
  async linesWithRoom(forMs: number, max: number): Promise<Keyed[]> {
    const rows = await this.database.source.query<Array<{ workspace_slug: string; trigger_id: string; key: string }>>(
      `SELECT w.workspace_slug, w.trigger_id, w.key
         FROM runtime.flow_waiting w
        WHERE w.since < now() - make_interval(secs => $1::double precision / 1000)
        GROUP BY w.workspace_slug, w.trigger_id, w.key
       HAVING max(w.slot_limit) > (SELECT count(*) FROM runtime.flow_slots s
                                    WHERE s.workspace_slug = w.workspace_slug AND s.trigger_id = w.trigger_id
                                      AND s.key = w.key)
        ORDER BY min(w.since) LIMIT $2`,
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
    // A slot is its run's while the run is queued (admitted) or running, and, cancelled while running, for a while
    // after (its sandbox is being stopped: within a third of the lease, or it died with its runtime).
    const [, freed] = await this.database.source.query<[unknown[], number]>(
      `DELETE FROM runtime.flow_slots s WHERE s.acquired_at < now() - interval '1 minute'
          AND NOT EXISTS (
            SELECT 1 FROM runtime.runs r WHERE r.id = s.run_id
               AND r.queued_at >= s.queued_at - interval '1 second' AND r.queued_at < s.queued_at + interval '1 second'
               AND (r.status IN ('queued', 'running')
                    OR (r.status = 'cancelled' AND r.duration_ms IS NOT NULL
                        AND r.finished_at > now() - interval '2 minutes')))`,
    );
    await this.database.source.query(
      `DELETE FROM runtime.flow_waiting w WHERE w.since < now() - interval '1 minute'
          AND NOT EXISTS (
            SELECT 1 FROM runtime.runs r WHERE r.id = w.run_id AND r.status = 'queued'
               AND r.queued_at >= w.queued_at - interval '1 second' AND r.queued_at < w.queued_at + interval '1 second')`,
    );
    await this.database.source.query(`DELETE FROM runtime.flow_throttle WHERE expires_at < now()`);
    await this.database.source.query(`DELETE FROM runtime.flow_debounce WHERE due_at < now() - interval '1 day'`);
    return freed;
  }
}
