import { Injectable } from '@nestjs/common';
import type { WebhookFilters } from '@signalbox/contracts';
import { Database } from '@signalbox/persistence';

import { UUID } from '../common/list.repository';
import { rethrowConstraintViolation } from '../common/postgres-errors';

/** A row of `data.webhooks`, as the service works with it. */
export interface WebhookRecord {
  id: string;
  workspaceSlug: string;
  name: string;
  url: string;
  events: string[];
  filters: WebhookFilters;
  retrySchedule: number[];
  enabled: boolean;
  disabledReason: string | null;
  secret: unknown;
  secretHint: string;
  previousSecret: unknown;
  previousSecretUntil: Date | null;
  createdBy: string;
  updatedBy: string;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

interface Row {
  id: string;
  workspace_slug: string;
  name: string;
  url: string;
  events: string[];
  filters: WebhookFilters;
  retry_schedule: number[];
  enabled: boolean;
  disabled_reason: string | null;
  secret: unknown;
  secret_hint: string;
  previous_secret: unknown;
  previous_secret_until: Date | null;
  created_by: string;
  updated_by: string;
  created_at: Date;
  updated_at: Date;
  version: number;
}

const fromRow = (row: Row): WebhookRecord => ({
  id: row.id,
  workspaceSlug: row.workspace_slug,
  name: row.name,
  url: row.url,
  events: row.events,
  filters: row.filters,
  retrySchedule: row.retry_schedule,
  enabled: row.enabled,
  disabledReason: row.disabled_reason,
  secret: row.secret,
  secretHint: row.secret_hint,
  previousSecret: row.previous_secret,
  previousSecretUntil: row.previous_secret_until,
  createdBy: row.created_by,
  updatedBy: row.updated_by,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  version: row.version,
});

const COLUMNS = `id, workspace_slug, name, url, events, filters, retry_schedule, enabled, disabled_reason, secret,
  secret_hint, previous_secret, previous_secret_until, created_by, updated_by, created_at, updated_at, version`;

const SORTABLE: Readonly<Record<string, string>> = { name: 'name', createdAt: 'created_at', updatedAt: 'updated_at' };
export const WEBHOOK_SORT_FIELDS = Object.keys(SORTABLE);

/** The only code that touches `data.webhooks`. Every query is scoped by workspace. */
@Injectable()
export class WebhookRepository {
  constructor(private readonly database: Database) {}

  async insert(webhook: WebhookRecord): Promise<WebhookRecord> {
    const rows = await this.database.source
      .query<Row[]>(
        `INSERT INTO data.webhooks (${COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         RETURNING ${COLUMNS}`,
        params(webhook),
      )
      .catch(rethrowConstraintViolation);
    return fromRow(rows[0]);
  }

  async find(workspace: string, id: string): Promise<WebhookRecord | null> {
    if (!UUID.test(id)) return null;
    const rows = await this.database.source.query<Row[]>(
      `SELECT ${COLUMNS} FROM data.webhooks WHERE workspace_slug = $1 AND id = $2`,
      [workspace, id],
    );
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async list(
    workspace: string,
    page: { limit: number; page: number; search?: string; sort: ReadonlyArray<{ field: string; direction: string }> },
  ): Promise<[WebhookRecord[], number]> {
    const order = [
      ...page.sort.map(({ field, direction }) => `${SORTABLE[field]} ${direction === 'desc' ? 'DESC' : 'ASC'}`),
      'id ASC',
    ].join(', ');
    const search = page.search ? `%${page.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    const rows = await this.database.source.query<Array<Row & { total: number }>>(
      `SELECT ${COLUMNS}, count(*) OVER ()::int AS total FROM data.webhooks
        WHERE workspace_slug = $1 AND ($2::text IS NULL OR name ILIKE $2)
        ORDER BY ${order} LIMIT $3 OFFSET $4`,
      [workspace, search, page.limit, (page.page - 1) * page.limit],
    );
    return [rows.map(fromRow), rows[0]?.total ?? 0];
  }

  /** Every subscription, for reconciling the `webhooks` KV bucket. */
  async all(): Promise<WebhookRecord[]> {
    const rows = await this.database.source.query<Row[]>(`SELECT ${COLUMNS} FROM data.webhooks`);
    return rows.map(fromRow);
  }

  /** Locks the row, lets `change` compute the next state (or throw), and writes it with the next version. */
  async update(
    workspace: string,
    id: string,
    change: (current: WebhookRecord) => Promise<WebhookRecord> | WebhookRecord,
  ): Promise<WebhookRecord | null> {
    if (!UUID.test(id)) return null;
    return this.database.source
      .transaction(async (manager) => {
        const [current] = await manager.query<Row[]>(
          `SELECT ${COLUMNS} FROM data.webhooks WHERE workspace_slug = $1 AND id = $2 FOR UPDATE`,
          [workspace, id],
        );
        if (!current) return null;
        const next = await change(fromRow(current));
        const [rows] = await manager.query<[Row[], number]>(
          `UPDATE data.webhooks SET name = $3, url = $4, events = $5, filters = $6, retry_schedule = $7, enabled = $8,
                  disabled_reason = $9, secret = $10, secret_hint = $11, previous_secret = $12,
                  previous_secret_until = $13, updated_by = $14, updated_at = now(), version = version + 1
            WHERE id = $1 AND workspace_slug = $2
          RETURNING ${COLUMNS}`,
          [...params(next).slice(0, 13), next.updatedBy],
        );
        return fromRow(rows[0]);
      })
      .catch(rethrowConstraintViolation);
  }

  async delete(workspace: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const [, affected] = await this.database.source.query<[unknown[], number]>(
      'DELETE FROM data.webhooks WHERE workspace_slug = $1 AND id = $2',
      [workspace, id],
    );
    return affected > 0;
  }
}

function params(webhook: WebhookRecord): unknown[] {
  return [
    webhook.id,
    webhook.workspaceSlug,
    webhook.name,
    webhook.url,
    webhook.events,
    JSON.stringify(webhook.filters),
    webhook.retrySchedule,
    webhook.enabled,
    webhook.disabledReason,
    JSON.stringify(webhook.secret),
    webhook.secretHint,
    webhook.previousSecret === null ? null : JSON.stringify(webhook.previousSecret),
    webhook.previousSecretUntil,
    webhook.createdBy,
    webhook.updatedBy,
    webhook.createdAt,
    webhook.updatedAt,
    webhook.version,
  ];
}
