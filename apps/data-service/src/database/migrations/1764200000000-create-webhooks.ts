import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Outbound webhook subscriptions (seed 001). Secrets are sealed (HPKE) like secret params. */
export class CreateWebhooks1764200000000 implements MigrationInterface {
  name = 'CreateWebhooks1764200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE data.webhooks (
        id uuid PRIMARY KEY,
        workspace_slug text NOT NULL,
        name text NOT NULL,
        url text NOT NULL,
        events text[] NOT NULL,
        filters jsonb NOT NULL DEFAULT '{}',
        retry_schedule integer[] NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text,
        secret jsonb NOT NULL,
        secret_hint text NOT NULL,
        previous_secret jsonb,
        previous_secret_until timestamptz,
        created_by text NOT NULL,
        updated_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        version integer NOT NULL DEFAULT 1
      )`);
    await runner.query('CREATE UNIQUE INDEX webhooks_name_unique ON data.webhooks (workspace_slug, name)');
    await runner.query('CREATE INDEX webhooks_workspace_created_idx ON data.webhooks (workspace_slug, created_at)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE data.webhooks');
  }
}
