import { Injectable } from '@nestjs/common';
import { Database } from '@signalbox/persistence';

export type Reservation =
  { readonly kind: 'reserved' } | { readonly kind: 'existing'; readonly jobId: string; readonly requestHash: string };

/** The only code that touches `data.idempotency_keys`. Keys older than the window count as absent. */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly database: Database) {}

  /** Atomically takes the key for this job, unless a live entry holds it (then that entry is returned). */
  async reserve(
    workspace: string,
    key: string,
    requestHash: string,
    jobId: string,
    windowHours: number,
  ): Promise<Reservation> {
    // Inserts, or takes over an entry older than the window; a live entry returns no row.
    const rows = await this.database.source.query<Array<{ job_id: string }>>(
      `INSERT INTO data.idempotency_keys (workspace_slug, key, request_hash, job_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (workspace_slug, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, job_id = EXCLUDED.job_id, created_at = now()
         WHERE idempotency_keys.created_at < now() - make_interval(hours => $5)
       RETURNING job_id`,
      [workspace, key, requestHash, jobId, windowHours],
    );
    if (rows[0]) return { kind: 'reserved' };
    const [existing] = await this.database.source.query<Array<{ job_id: string; request_hash: string }>>(
      'SELECT job_id, request_hash FROM data.idempotency_keys WHERE workspace_slug = $1 AND key = $2',
      [workspace, key],
    );
    if (!existing) return this.reserve(workspace, key, requestHash, jobId, windowHours);
    return { kind: 'existing', jobId: existing.job_id, requestHash: existing.request_hash };
  }

  /** The job a live key started, or null. */
  async jobOf(workspace: string, key: string, windowHours: number): Promise<string | null> {
    const [row] = await this.database.source.query<Array<{ job_id: string }>>(
      `SELECT job_id FROM data.idempotency_keys
        WHERE workspace_slug = $1 AND key = $2 AND created_at >= now() - make_interval(hours => $3)`,
      [workspace, key, windowHours],
    );
    return row?.job_id ?? null;
  }

  /** Frees a key whose request could not be started, so that a retry can start it. */
  async release(workspace: string, key: string, jobId: string): Promise<void> {
    await this.database.source.query(
      'DELETE FROM data.idempotency_keys WHERE workspace_slug = $1 AND key = $2 AND job_id = $3',
      [workspace, key, jobId],
    );
  }

  async purgeOlderThan(windowHours: number): Promise<void> {
    await this.database.source.query(
      'DELETE FROM data.idempotency_keys WHERE created_at < now() - make_interval(hours => $1)',
      [windowHours],
    );
  }
}
