import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The latest requests each webhook trigger received (test samples), written only by webhook-gateway. */
export class CreateTestSamples1764150000000 implements MigrationInterface {
  name = 'CreateTestSamples1764150000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE webhooks.test_samples (
        id bigserial PRIMARY KEY,
        workspace_slug text NOT NULL,
        trigger_id uuid NOT NULL,
        received_at timestamptz NOT NULL,
        method text NOT NULL,
        path text NOT NULL,
        headers jsonb NOT NULL,
        query jsonb NOT NULL,
        body text NOT NULL,
        body_encoding text NOT NULL,
        body_truncated boolean NOT NULL,
        outcome text NOT NULL,
        job_id uuid
      )`);
    await runner.query('CREATE INDEX test_samples_trigger_idx ON webhooks.test_samples (trigger_id, id DESC)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE webhooks.test_samples');
  }
}
