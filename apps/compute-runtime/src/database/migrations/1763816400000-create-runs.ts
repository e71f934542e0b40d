import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The run record: one row per run, written only by compute-runtime. */
export class CreateRuns1763816400000 implements MigrationInterface {
  name = 'CreateRuns1763816400000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE runtime.runs (
        id uuid PRIMARY KEY,
        workspace_slug text NOT NULL,
        trigger_id uuid NOT NULL,
        function_id uuid NOT NULL,
        function_version integer,
        status text NOT NULL,
        execution_params jsonb NOT NULL DEFAULT '{}',
        result jsonb,
        error jsonb,
        logs jsonb NOT NULL DEFAULT '[]',
        logs_truncated boolean NOT NULL DEFAULT false,
        steps jsonb NOT NULL DEFAULT '[]',
        attempt integer NOT NULL DEFAULT 0,
        requested_by text NOT NULL,
        queued_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        lease_until timestamptz,
        duration_ms integer,
        cpu_time_ms integer
      )`);
    await runner.query('CREATE INDEX runs_workspace_queued_idx ON runtime.runs (workspace_slug, queued_at DESC, id)');
    await runner.query(
      'CREATE INDEX runs_workspace_trigger_idx ON runtime.runs (workspace_slug, trigger_id, queued_at DESC)',
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE runtime.runs');
  }
}
