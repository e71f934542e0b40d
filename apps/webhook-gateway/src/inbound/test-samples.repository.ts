import { Injectable } from '@nestjs/common';
import { TEST_SAMPLES_KEPT, type WebhookTestSample } from '@signalbox/contracts';
import { Database } from '@signalbox/persistence';

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

  /** Keeps the sample and drops the trigger's older ones beyond the newest TEST_SAMPLES_KEPT, in one statement. */
  async record(workspace: string, triggerId: string, sample: WebhookTestSample): Promise<void> {
    await this.database.source.query(
      `WITH inserted AS (
         INSERT INTO webhooks.test_samples (workspace_slug, trigger_id, received_at, method, path, headers, query, body,
           body_encoding, body_truncated, outcome, job_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id)
       DELETE FROM webhooks.test_samples WHERE trigger_id = $2 AND id < (
         SELECT min(id) FROM (SELECT id FROM webhooks.test_samples WHERE trigger_id = $2
                              UNION ALL SELECT id FROM inserted ORDER BY id DESC LIMIT $13) newest)`,
      [
        workspace,
        triggerId,
        sample.receivedAt,
        sample.method,
        sample.path,
        JSON.stringify(sample.headers),
        JSON.stringify(sample.query),
        sample.body,
        sample.bodyEncoding,
        sample.bodyTruncated,
        sample.outcome,
        sample.jobId,
        TEST_SAMPLES_KEPT,
      ],
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
