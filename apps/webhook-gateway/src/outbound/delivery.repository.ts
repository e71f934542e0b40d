import { Injectable } from '@nestjs/common';
import type { Delivery, DeliveryAttempt, DeliveryStatus } from '@signalbox/contracts';
import { activeTraceId } from '@signalbox/observability';
import {
  Database,
  daysOf,
  GROUP_COMMIT,
  insertEachIdOnce,
  MicroBatcher,
  Outbox,
  type OutboxMessage,
  storableJson,
  storableText,
} from '@signalbox/persistence';

/** A delivery to create: the exact body is stored, so every attempt and replay sends the same bytes. */
export interface NewDelivery {
  readonly id: string;
  readonly workspace: string;
  readonly webhookId: string;
  readonly eventId: string;
  readonly event: string;
  readonly body: string;
  readonly replayOf?: string | null;
}

export interface DeliveryRow {
  readonly id: string;
  readonly workspace_slug: string;
  readonly webhook_id: string;
  readonly event_id: string;
  readonly event: string;
  readonly body: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly next_attempt_at: Date | null;
  readonly replay_of: string | null;
  readonly created_at: Date;
  readonly completed_at: Date | null;
  readonly trace_id: string | null;
}

export interface AttemptRecord {
  readonly attempt: number;
  readonly statusCode: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
  readonly responseBody: string | null;
}

/** A delivery to store: created at `createdAt` (its day's partition), with the message of its job. */
export interface QueuedDelivery {
  readonly delivery: NewDelivery;
  readonly createdAt: string;
  readonly message: OutboxMessage;
}

/** A delivery as the statements that change it find it: its id, and its day (the partition it is in). */
export type DeliveryKey = Pick<DeliveryRow, 'id' | 'created_at'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The first key of the advisory locks on delivery ids (`createMany`), apart from every other lock's. */
const DELIVERY_ID_LOCK_CLASS = 0xde1f;

// The batchers below commit in groups (GROUP_COMMIT): a burst of deliveries costs a few large statements.

/*
 * `webhooks.deliveries` is partitioned by day on `created_at`, and `delivery_attempts` by their delivery's day.
 * A statement that knows the day names it (one partition); one that joins a recordset by id also names the ids as
 * an array (`d.id = ANY(...)`), so that the planner probes each partition's primary key instead of hashing it.
 */

/** The only code that touches `webhooks.deliveries`, `webhooks.delivery_attempts` and `subscription_health`. */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly database: Database) {}

  /**
   * Creates the deliveries that do not exist yet (a redelivered event creates nothing twice), each with its
   * queue message in the outbox, in one statement: a delivery is never stored without a way to its message.
   * Deliveries created together (events fanned out at once) share one statement.
   */
  async createMany(deliveries: readonly QueuedDelivery[]): Promise<void> {
    // The trace of the work creating them: deliveries created together belong to different traces.
    const traceId = activeTraceId() ?? null;
    await Promise.all(
      deliveries.map((queued) => this.creates.submit({ ...queued, message: Outbox.traced(queued.message), traceId })),
    );
  }

  /**
   * At most 100 deliveries per statement: each holds an advisory lock on its id until its transaction ends, and
   * Postgres's lock table is shared and small (about 64 per connection), so a bulk replay of 10,000 must not take
   * them all at once.
   */
  private readonly creates = new MicroBatcher<QueuedDelivery & { traceId: string | null }, void>(
    async (items) => {
      // An id twice in one batch (a redelivered event racing its original) is created once.
      const first = new Map<string, (typeof items)[number]>();
      for (const queued of items) if (!first.has(queued.delivery.id)) first.set(queued.delivery.id, queued);
      const ids = [...first.keys()];
      // No unique index spans the days' partitions: the insert checks them all for the ids, under a lock on each.
      await insertEachIdOnce(this.database.source, DELIVERY_ID_LOCK_CLASS, ids, (manager) =>
        manager.query(
          `WITH x AS (
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, workspace_slug text, webhook_id uuid, event_id text,
                    event text, body text, replay_of uuid, created_at timestamptz, msg_id text, subject text, job jsonb,
                    trace_id text, traceparent text)
         ), created AS (
           INSERT INTO webhooks.deliveries (id, workspace_slug, webhook_id, event_id, event, body, replay_of, created_at,
                                            next_attempt_at, trace_id)
           SELECT x.id, x.workspace_slug, x.webhook_id, x.event_id, x.event, x.body, x.replay_of, x.created_at, now(),
                  x.trace_id
             FROM x
            WHERE x.id NOT IN (SELECT d.id FROM webhooks.deliveries d WHERE d.id = ANY($2::uuid[]))
           RETURNING id
         )
         INSERT INTO webhooks.outbox (msg_id, subject, body, traceparent)
         SELECT x.msg_id, x.subject, x.job, x.traceparent FROM x JOIN created USING (id)
         ON CONFLICT (msg_id) DO NOTHING`,
          [
            storableJson(
              [...first.values()].map(({ delivery: d, createdAt, message, traceId }) => ({
                id: d.id,
                workspace_slug: d.workspace,
                webhook_id: d.webhookId,
                event_id: d.eventId,
                event: d.event,
                body: d.body,
                replay_of: d.replayOf ?? null,
                created_at: createdAt,
                msg_id: message.msgId,
                subject: message.subject,
                job: message.body,
                trace_id: traceId,
                traceparent: message.traceparent ?? null,
              })),
            ),
            ids,
          ],
        ),
      );
      return items.map(() => undefined);
    },
    ...GROUP_COMMIT,
  );

  /**
   * A test delivery, recorded once its one attempt is made: the delivery and the attempt in one statement, so
   * a gateway that dies mid-test leaves nothing pending that no message would ever finish.
   */
  async recordTest(delivery: NewDelivery, attempt: AttemptRecord, status: DeliveryStatus): Promise<void> {
    await this.database.source.query(
      `WITH created AS (
         INSERT INTO webhooks.deliveries (id, workspace_slug, webhook_id, event_id, event, body, status, attempts,
                                          completed_at, trace_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, now(), $12)
         RETURNING id, created_at
       )
       INSERT INTO webhooks.delivery_attempts (delivery_id, delivery_created_at, attempt, status_code, latency_ms, error,
                                               response_body)
       SELECT id, created_at, 1, $8, $9, $10, $11 FROM created`,
      [
        delivery.id,
        delivery.workspace,
        delivery.webhookId,
        delivery.eventId,
        delivery.event,
        storableText(delivery.body),
        status,
        attempt.statusCode,
        attempt.latencyMs,
        attempt.error === null ? null : storableText(attempt.error),
        attempt.responseBody === null ? null : storableText(attempt.responseBody),
        activeTraceId() ?? null,
      ],
    );
  }

  /**
   * One delivery by id, looked for in the day of `createdAt` when the caller knows it (a job names its
   * delivery's day), else in every day's partition. Look-ups made together share one statement.
   */
  async find(id: string, createdAt?: string): Promise<DeliveryRow | null> {
    const row = await this.finds.submit({ id, createdAt });
    // Not in the day the job named (a job from before the upgrade, or a day off): look in every day.
    return row ?? (createdAt === undefined ? null : this.finds.submit({ id }));
  }

  private readonly finds = new MicroBatcher<{ id: string; createdAt?: string }, DeliveryRow | null>(
    async (items) => {
      const days = items.every((item) => item.createdAt !== undefined)
        ? daysOf(items.map((item) => item.createdAt!))
        : [null, null];
      const rows = await this.database.rows<DeliveryRow>(
        `SELECT * FROM webhooks.deliveries
        WHERE id = ANY($1::uuid[]) AND ($2::timestamptz IS NULL OR (created_at >= $2 AND created_at < $3))`,
        [items.map((item) => item.id), ...days],
      );
      const byId = new Map(rows.map((row) => [row.id, row]));
      return items.map((item) => byId.get(item.id) ?? null);
    },
    ...GROUP_COMMIT,
  );

  async findIn(workspace: string, webhookId: string, id: string): Promise<DeliveryRow | null> {
    if (!UUID.test(id)) return null;
    const rows = await this.database.source.query<DeliveryRow[]>(
      'SELECT * FROM webhooks.deliveries WHERE workspace_slug = $1 AND webhook_id = $2 AND id = $3',
      [workspace, webhookId, id],
    );
    return rows[0] ?? null;
  }

  /**
   * Records attempt `n` and the delivery's new state in one statement. Only the attempt that follows the
   * recorded ones counts: a second handling of the same job (a redelivery racing it) records nothing and
   * answers false. Attempts recorded together share one statement.
   */
  recordAttempt(
    delivery: DeliveryKey,
    attempt: AttemptRecord,
    next: { status: DeliveryStatus; nextAttemptAt: Date | null },
  ): Promise<boolean> {
    return this.records.submit({ delivery, attempt, next });
  }

  private readonly records = new MicroBatcher<
    { delivery: DeliveryKey; attempt: AttemptRecord; next: { status: DeliveryStatus; nextAttemptAt: Date | null } },
    boolean
  >(
    async (items) => {
      // One entry per delivery per statement (a second one for the same id answers false).
      const first = new Map<string, (typeof items)[number]>();
      for (const item of items) if (!first.has(item.delivery.id)) first.set(item.delivery.id, item);
      const rows = await this.database.rows<{ id: string }>(
        `WITH x AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, attempt integer, status text,
                  next_attempt_at timestamptz, status_code integer, latency_ms integer, error text, response_body text)
       ), updated AS (
         UPDATE webhooks.deliveries d
            SET attempts = x.attempt, status = x.status, next_attempt_at = x.next_attempt_at,
                completed_at = CASE WHEN x.status = 'pending' THEN NULL ELSE now() END
           FROM x
          WHERE d.id = x.id AND d.id = ANY($2::uuid[]) AND d.created_at >= $3 AND d.created_at < $4
            AND d.status = 'pending' AND d.attempts = x.attempt - 1
         RETURNING d.id, d.created_at
       ), attempts AS (
         INSERT INTO webhooks.delivery_attempts (delivery_id, delivery_created_at, attempt, status_code, latency_ms,
                                                 error, response_body)
         SELECT x.id, updated.created_at, x.attempt, x.status_code, x.latency_ms, x.error, x.response_body
           FROM x JOIN updated USING (id)
       )
       SELECT id FROM updated`,
        [
          storableJson(
            [...first.values()].map(({ delivery, attempt, next }) => ({
              id: delivery.id,
              attempt: attempt.attempt,
              status: next.status,
              next_attempt_at: next.nextAttemptAt?.toISOString() ?? null,
              status_code: attempt.statusCode,
              latency_ms: attempt.latencyMs,
              error: attempt.error,
              response_body: attempt.responseBody,
            })),
          ),
          [...first.keys()],
          ...daysOf([...first.values()].map(({ delivery }) => delivery.created_at)),
        ],
        'webhooks.record-attempts',
      );
      const recorded = new Set(rows.map((row) => row.id));
      return items.map((item) => first.get(item.delivery.id) === item && recorded.has(item.delivery.id));
    },
    ...GROUP_COMMIT,
  );

  /** A page of a subscription's deliveries, newest first, each with its attempts. */
  async list(
    workspace: string,
    webhookId: string,
    query: { status?: DeliveryStatus; limit: number; page: number },
  ): Promise<{ deliveries: Delivery[]; total: number }> {
    const rows = await this.database.source.query<Array<DeliveryRow & { attempt_list: AttemptJson[]; total: number }>>(
      `SELECT d.*, count(*) OVER ()::int AS total,
              coalesce((SELECT json_agg(a ORDER BY a.attempt) FROM webhooks.delivery_attempts a
                         WHERE a.delivery_id = d.id AND a.delivery_created_at = d.created_at), '[]') AS attempt_list
         FROM webhooks.deliveries d
        WHERE d.workspace_slug = $1 AND d.webhook_id = $2 AND ($3::text IS NULL OR d.status = $3)
        ORDER BY d.created_at DESC, d.id
        LIMIT $4 OFFSET $5`,
      [workspace, webhookId, query.status ?? null, query.limit, (query.page - 1) * query.limit],
    );
    return { deliveries: rows.map((row) => toDelivery(row, row.attempt_list)), total: rows[0]?.total ?? 0 };
  }

  /** Deliveries of a subscription created in [since, until), optionally of one status (bulk replay). */
  async inRange(
    workspace: string,
    webhookId: string,
    range: { since: string; until?: string; status?: DeliveryStatus },
    limit: number,
  ): Promise<DeliveryRow[]> {
    return this.database.source.query<DeliveryRow[]>(
      `SELECT * FROM webhooks.deliveries
        WHERE workspace_slug = $1 AND webhook_id = $2 AND created_at >= $3
          AND ($4::timestamptz IS NULL OR created_at < $4) AND ($5::text IS NULL OR status = $5)
        ORDER BY created_at, id LIMIT $6`,
      [workspace, webhookId, range.since, range.until ?? null, range.status ?? null, limit],
    );
  }

  /** A delivered attempt ends a failure streak. */
  async markSuccess(workspace: string, webhookId: string): Promise<void> {
    await this.database.source.query(
      `INSERT INTO webhooks.subscription_health (webhook_id, workspace_slug, failing_since, last_success_at)
       VALUES ($1, $2, NULL, now())
       ON CONFLICT (webhook_id) DO UPDATE SET failing_since = NULL, last_success_at = now()`,
      [webhookId, workspace],
    );
  }

  /**
   * A failed attempt starts (or continues) a failure streak; answers when it started. A streak older than the
   * subscription's last change (`configChangedAt`: re-enabled, new URL) starts again: the user fixed something.
   */
  async markFailure(workspace: string, webhookId: string, configChangedAt: string): Promise<Date> {
    const rows = await this.database.source.query<Array<{ failing_since: Date }>>(
      `INSERT INTO webhooks.subscription_health (webhook_id, workspace_slug, failing_since)
       VALUES ($1, $2, now())
       ON CONFLICT (webhook_id) DO UPDATE SET failing_since =
         CASE WHEN webhooks.subscription_health.failing_since IS NULL
                OR webhooks.subscription_health.failing_since < $3::timestamptz THEN now()
              ELSE webhooks.subscription_health.failing_since END
       RETURNING failing_since`,
      [webhookId, workspace, configChangedAt],
    );
    return rows[0].failing_since;
  }
}

interface AttemptJson {
  attempt: number;
  at: string;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_body: string | null;
}

export function toDelivery(row: DeliveryRow, attempts: readonly AttemptJson[] = []): Delivery {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    event: row.event,
    status: row.status,
    attempts: attempts.map((a): DeliveryAttempt => ({
      attempt: a.attempt,
      at: new Date(a.at).toISOString(),
      statusCode: a.status_code,
      latencyMs: a.latency_ms,
      error: a.error,
      responseBody: a.response_body,
    })),
    nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
    replayOf: row.replay_of,
    traceId: row.trace_id ?? null,
    payload: JSON.parse(row.body) as unknown,
  };
}
