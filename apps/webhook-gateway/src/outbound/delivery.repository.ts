import { Injectable } from '@nestjs/common';
import type { Delivery, DeliveryAttempt, DeliveryStatus } from '@signalbox/contracts';
import { Database } from '@signalbox/persistence';

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
}

export interface AttemptRecord {
  readonly attempt: number;
  readonly statusCode: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
  readonly responseBody: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The only code that touches `webhooks.deliveries`, `webhooks.delivery_attempts` and `subscription_health`. */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly database: Database) {}

  /** Creates the deliveries that do not exist yet (a redelivered event creates nothing twice). */
  async createMany(deliveries: readonly NewDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.database.source.query(
      `INSERT INTO webhooks.deliveries (id, workspace_slug, webhook_id, event_id, event, body, replay_of, next_attempt_at)
       SELECT x.id, x.workspace_slug, x.webhook_id, x.event_id, x.event, x.body, x.replay_of, now()
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, workspace_slug text, webhook_id uuid, event_id text,
                                                 event text, body text, replay_of uuid)
       ON CONFLICT (id) DO NOTHING`,
      [
        JSON.stringify(
          deliveries.map((d) => ({
            id: d.id,
            workspace_slug: d.workspace,
            webhook_id: d.webhookId,
            event_id: d.eventId,
            event: d.event,
            body: d.body,
            replay_of: d.replayOf ?? null,
          })),
        ),
      ],
    );
  }

  async find(id: string): Promise<DeliveryRow | null> {
    const rows = await this.database.source.query<DeliveryRow[]>('SELECT * FROM webhooks.deliveries WHERE id = $1', [
      id,
    ]);
    return rows[0] ?? null;
  }

  async findIn(workspace: string, webhookId: string, id: string): Promise<DeliveryRow | null> {
    if (!UUID.test(id)) return null;
    const rows = await this.database.source.query<DeliveryRow[]>(
      'SELECT * FROM webhooks.deliveries WHERE workspace_slug = $1 AND webhook_id = $2 AND id = $3',
      [workspace, webhookId, id],
    );
    return rows[0] ?? null;
  }

  /**
   * Records attempt `n` and the delivery's new state in one transaction. Only the attempt that follows the
   * recorded ones counts: a second runtime of the same message (a redelivery racing it) records nothing.
   */
  async recordAttempt(
    id: string,
    attempt: AttemptRecord,
    next: { status: DeliveryStatus; nextAttemptAt: Date | null },
  ): Promise<boolean> {
    return this.database.source.transaction(async (manager) => {
      const [, updated] = await manager.query<[unknown[], number]>(
        `UPDATE webhooks.deliveries
            SET attempts = $2, status = $3, next_attempt_at = $4,
                completed_at = CASE WHEN $3 = 'pending' THEN NULL ELSE now() END
          WHERE id = $1 AND status = 'pending' AND attempts = $2 - 1`,
        [id, attempt.attempt, next.status, next.nextAttemptAt],
      );
      if (updated === 0) return false;
      await manager.query(
        `INSERT INTO webhooks.delivery_attempts (delivery_id, attempt, status_code, latency_ms, error, response_body)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [id, attempt.attempt, attempt.statusCode, attempt.latencyMs, attempt.error, attempt.responseBody],
      );
      return true;
    });
  }

  /** A page of a subscription's deliveries, newest first, each with its attempts. */
  async list(
    workspace: string,
    webhookId: string,
    query: { status?: DeliveryStatus; limit: number; page: number },
  ): Promise<{ deliveries: Delivery[]; total: number }> {
    const rows = await this.database.source.query<Array<DeliveryRow & { attempt_list: AttemptJson[]; total: number }>>(
      `SELECT d.*, count(*) OVER ()::int AS total,
              coalesce((SELECT json_agg(a ORDER BY a.attempt) FROM webhooks.delivery_attempts a
                         WHERE a.delivery_id = d.id), '[]') AS attempt_list
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

  /** A failed attempt starts (or continues) a failure streak; answers when it started. */
  async markFailure(workspace: string, webhookId: string): Promise<Date> {
    const rows = await this.database.source.query<Array<{ failing_since: Date }>>(
      `INSERT INTO webhooks.subscription_health (webhook_id, workspace_slug, failing_since)
       VALUES ($1, $2, now())
       ON CONFLICT (webhook_id) DO UPDATE SET failing_since = coalesce(webhooks.subscription_health.failing_since, now())
       RETURNING failing_since`,
      [webhookId, workspace],
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
    payload: JSON.parse(row.body) as unknown,
  };
}
