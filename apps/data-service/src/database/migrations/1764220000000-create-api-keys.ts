import type { MigrationInterface, QueryRunner } from 'typeorm';

/** API keys (seed 004): stored as a SHA-256 of the key, found by their public id; revoked keys are kept. */
export class CreateApiKeys1764220000000 implements MigrationInterface {
  name = 'CreateApiKeys1764220000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE data.api_keys (
        id uuid PRIMARY KEY,
        public_id text NOT NULL UNIQUE,
        workspace_slug text NOT NULL,
        name text NOT NULL,
        key_hash text NOT NULL,
        scopes text[] NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await runner.query('CREATE INDEX api_keys_workspace_idx ON data.api_keys (workspace_slug, created_at)');
    // Shared rate-limit counters (fixed one-minute windows), so the limit holds across replicas.
    await runner.query(`
      CREATE TABLE data.rate_limit_windows (
        key text NOT NULL,
        window_start timestamptz NOT NULL,
        count integer NOT NULL,
        PRIMARY KEY (key, window_start)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE data.rate_limit_windows');
    await runner.query('DROP TABLE data.api_keys');
  }
}
