import { createHash } from 'node:crypto';

import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Database, MicroBatcher } from '@signalbox/persistence';

const WINDOW_MS = 60_000;

export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the window ends (and `Retry-After` when refused). */
  readonly resetSeconds: number;
}

/**
 * Fixed one-minute windows counted in Postgres (`data.rate_limit_windows`), so a limit holds across every
 * data-service replica. Hits that arrive together share one upsert, and while one upsert runs the
 * next ones gather; each caller gets its own position in the window. Old windows are deleted once a minute.
 */
@Injectable()
export class RateLimiter implements OnApplicationShutdown {
  private readonly cleanup: NodeJS.Timeout;

  constructor(private readonly database: Database) {
    this.cleanup = setInterval(() => {
      void this.database.source
        .query(`DELETE FROM data.rate_limit_windows WHERE window_start < now() - interval '2 minutes'`)
        .catch(() => undefined);
    }, WINDOW_MS);
    this.cleanup.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.cleanup);
  }

  async hit(key: string, limit: number, now = Date.now()): Promise<RateLimitDecision> {
    const windowStart = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    const count = await this.hits.submit({ key: storedKey(key), windowStart });
    return {
      allowed: count <= limit,
      limit,
      remaining: Math.max(0, limit - count),
      resetSeconds: Math.max(1, Math.ceil((windowStart + WINDOW_MS - now) / 1000)),
    };
  }

  // One upsert in flight at a time, up to 1,000 hits: under load the hits that arrive meanwhile share the next one
  // (group commit), instead of each turn of the event loop paying its own statement and WAL flush.
  private readonly hits = new MicroBatcher<{ key: string; windowStart: number }, number>(
    async (items) => {
      const groups = new Map<string, { key: string; windowStart: number; n: number }>();
      for (const item of items) {
        const id = `${item.key}\u0000${item.windowStart}`;
        const group = groups.get(id) ?? { ...item, n: 0 };
        group.n += 1;
        groups.set(id, group);
      }
      const rows = await this.database.rows<{ key: string; window_ms: string; count: number }>(
        `INSERT INTO data.rate_limit_windows (key, window_start, count)
       SELECT x.key, to_timestamp(x.window_ms / 1000.0), x.n
         FROM jsonb_to_recordset($1::jsonb) AS x(key text, window_ms bigint, n integer)
       ON CONFLICT (key, window_start) DO UPDATE SET count = data.rate_limit_windows.count + EXCLUDED.count
       RETURNING key, (extract(epoch FROM window_start) * 1000)::bigint AS window_ms, count`,
        // Rows in key order: two batches upserting the same keys lock them in the same order (no deadlock).
        [
          JSON.stringify(
            [...groups.values()]
              .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.windowStart - b.windowStart))
              .map((g) => ({ key: g.key, window_ms: g.windowStart, n: g.n })),
          ),
        ],
        'data.rate-limit-hits',
      );
      // Each caller's position: the batch's hits on a key are the last n of its returned count, in order.
      const next = new Map(rows.map((row) => [`${row.key}\u0000${Number(row.window_ms)}`, row.count]));
      for (const group of groups.values()) {
        const id = `${group.key}\u0000${group.windowStart}`;
        next.set(id, (next.get(id) ?? group.n) - group.n + 1);
      }
      return items.map((item) => {
        const id = `${item.key}\u0000${item.windowStart}`;
        const position = next.get(id) ?? 1;
        next.set(id, position + 1);
        return position;
      });
    },
    1_000,
    1,
    // No hit can be poison (keys are plain text, see storedKey): a failure (Postgres down) fails the batch at once
    // rather than retrying its hits one by one while every other request waits behind them.
    'fail-all',
  );
}

const READABLE_KEY = /^[\x20-\x7e]{1,200}$/;

/**
 * The key as stored: itself when it is printable ASCII of a sane length (an API key id or a token's subject, as
 * operators read them), else its SHA-256, so that no subject (a NUL, which jsonb refuses; a megabyte) can fail or
 * bloat a batch that other callers share.
 */
function storedKey(key: string): string {
  return READABLE_KEY.test(key) ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}
