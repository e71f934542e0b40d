import type { MigrationInterface, QueryRunner } from 'typeorm';

const INDEXES = {
  runs_workspace_function_idx: 'runtime.runs (workspace_slug, function_id, queued_at DESC)',
  runs_workspace_status_idx: 'runtime.runs (workspace_slug, status, queued_at DESC)',
} as const;

/**
 * The runs list filtered by function or by status (the console's filters): measured on 100,000 runs of one
 * workspace, the count and the page took about 30 ms each on the workspace index alone, and 0.2 to 1.5 ms
 * with these. Built CONCURRENTLY, outside a transaction, so an upgrade on a busy table does not stop its
 * writes; an index a failed build left invalid is dropped and built again.
 */
export class IndexRunFilters1796600000000 implements MigrationInterface {
  name = 'IndexRunFilters1796600000000';
  transaction = false;

  async up(runner: QueryRunner): Promise<void> {
    for (const [name, on] of Object.entries(INDEXES)) {
      const invalid = (await runner.query(
        `SELECT true AS exists FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'runtime' AND c.relname = $1 AND NOT i.indisvalid`,
        [name],
      )) as unknown[];
      if (invalid.length > 0) await runner.query(`DROP INDEX CONCURRENTLY IF EXISTS runtime.${name}`);
      await runner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${name} ON ${on}`);
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const name of Object.keys(INDEXES)) await runner.query(`DROP INDEX CONCURRENTLY IF EXISTS runtime.${name}`);
  }
}
