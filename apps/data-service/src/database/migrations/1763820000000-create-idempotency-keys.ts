import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `Idempotency-Key` of execute requests, kept 24 h. */
export class CreateIdempotencyKeys1763820000000 implements MigrationInterface {
  name = 'CreateIdempotencyKeys1763820000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE data.idempotency_keys (
        workspace_slug text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        job_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_slug, key)
      )`);
    await runner.query('CREATE INDEX idempotency_keys_created_idx ON data.idempotency_keys (created_at)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE data.idempotency_keys');
  }
}
