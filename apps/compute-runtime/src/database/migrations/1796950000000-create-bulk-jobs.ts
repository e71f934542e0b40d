import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bulk jobs over runs (`POST /function-runs/bulk`): the filter, the runs it covers (queued until it started), the
 * progress, and the cursor of the last run acted on (`queued_at`, `id`), moved in the same transaction as each page
 * of runs, so a runtime that dies mid-page leaves the page undone and the next pass does it once.
 */
export class CreateBulkJobs1796950000000 implements MigrationInterface {
  name = 'CreateBulkJobs1796950000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE runtime.bulk_jobs (
        id uuid PRIMARY KEY,
        workspace_slug text NOT NULL,
        name text NOT NULL,
        action text NOT NULL,
        filter jsonb NOT NULL,
        trigger_ids uuid[],
        status text NOT NULL DEFAULT 'running',
        total integer NOT NULL,
        processed integer NOT NULL DEFAULT 0,
        acted integer NOT NULL DEFAULT 0,
        until_queued_at timestamptz NOT NULL,
        cursor_queued_at timestamptz,
        cursor_id uuid,
        advanced_at timestamptz,
        requested_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await runner.query(
      `CREATE INDEX bulk_jobs_running ON runtime.bulk_jobs (advanced_at NULLS FIRST, created_at) WHERE status = 'running'`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE runtime.bulk_jobs');
  }
}
