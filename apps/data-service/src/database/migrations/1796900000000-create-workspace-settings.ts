import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Issue 20: a workspace's own retention of runs and deliveries (null: the platform's). */
export class CreateWorkspaceSettings1796900000000 implements MigrationInterface {
  name = 'CreateWorkspaceSettings1796900000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE data.workspace_settings (
        workspace_slug text PRIMARY KEY,
        runs_retention_days integer,
        deliveries_retention_days integer,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by text NOT NULL
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE data.workspace_settings');
  }
}
