import { Injectable } from '@nestjs/common';
import { TEST_SAMPLES_KEPT, type WebhookTestSample } from '@signalbox/contracts';
import { Database, storableJson } from '@signalbox/persistence';

interface SampleRow {
  received_at: Date;
  method: string;
  path: string;
  headers: Record<string, string>;
  query: Record<string, unknown>;
  body: string;
  body_encoding: 'utf8' | 'base64';
  body_truncated: boolean;
  outcome: string;
  job_id: string | null;
}

/** The only code that touches `webhooks.test_samples`. Every read is scoped by workspace. */
@Injectable()
export class TestSampleRepository {
  constructor(private readonly database: Database) {}

  /**
   * Keeps a trigger's new samples (oldest first) and drops its older ones beyond the newest TEST_SAMPLES_KEPT,
   * in one statement.
   */
  async record(workspace: string, triggerId: string, samples: readonly WebhookTestSample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.database.source.query(
      `WITH inserted AS (
         INSERT INTO webhooks.test_samples (workspace_slug, trigger_id, received_at, method, path, headers, query, body,
           body_encoding, body_truncated, outcome, job_id)
         SELECT $1, $2, (e.value->>'receivedAt')::timestamptz, e.value->>'method', e.value->>'path', e.value->'headers',
           e.value->'query', e.value->>'body', e.value->>'bodyEncoding', (e.value->>'bodyTruncated')::boolean,
           e.value->>'outcome', (e.value->>'jobId')::uuid
         FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS e(value, n) ORDER BY e.n
         RETURNING id)
       DELETE FROM webhooks.test_samples WHERE trigger_id = $2 AND id < (
         SELECT min(id) FROM (SELECT id FROM webhooks.test_samples WHERE trigger_id = $2
                              UNION ALL SELECT id FROM inserted ORDER BY id DESC LIMIT $4) newest)`,
      [workspace, triggerId, storableJson(samples), TEST_SAMPLES_KEPT],
    );
  }

  async list(workspace: string, triggerId: string): Promise<WebhookTestSample[]> {
    const rows = await this.database.source.query<SampleRow[]>(
      `SELECT * FROM webhooks.test_samples WHERE workspace_slug = $1 AND trigger_id = $2 ORDER BY id DESC LIMIT $3`,
      [workspace, triggerId, TEST_SAMPLES_KEPT],
    );
    return rows.map((row) => ({
      receivedAt: row.received_at.toISOString(),
      method: row.method,
      path: row.path,
      headers: row.headers,
      query: row.query,
      body: row.body,
      bodyEncoding: row.body_encoding,
      bodyTruncated: row.body_truncated,
      outcome: row.outcome,
      jobId: row.job_id,
    }));
  }
}
