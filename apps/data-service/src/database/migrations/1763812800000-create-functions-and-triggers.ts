import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Compute functions, function triggers, their version history, and trigger drafts. */
export class CreateFunctionsAndTriggers1763812800000 implements MigrationInterface {
  name = 'CreateFunctionsAndTriggers1763812800000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE data.compute_functions (
        id uuid PRIMARY KEY,
        workspace_slug text NOT NULL,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        code text NOT NULL,
        timeout_ms integer NOT NULL,
        memory_mb integer NOT NULL,
        version integer NOT NULL DEFAULT 1,
        created_by text NOT NULL,
        updated_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT compute_functions_name_unique UNIQUE (workspace_slug, name)
      )`);
    await runner.query(`
      CREATE TABLE data.compute_function_versions (
        function_id uuid NOT NULL REFERENCES data.compute_functions (id) ON DELETE CASCADE,
        workspace_slug text NOT NULL,
        version integer NOT NULL,
        change text NOT NULL,
        snapshot jsonb NOT NULL,
        changed_by text NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (function_id, version)
      )`);
    await runner.query(`
      CREATE TABLE data.function_triggers (
        id uuid PRIMARY KEY,
        workspace_slug text NOT NULL,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        function_id uuid NOT NULL REFERENCES data.compute_functions (id) ON DELETE RESTRICT,
        execution_type text NOT NULL,
        trigger_metadata jsonb NOT NULL DEFAULT '{}',
        enabled boolean NOT NULL DEFAULT true,
        is_system boolean NOT NULL DEFAULT false,
        version integer NOT NULL DEFAULT 1,
        created_by text NOT NULL,
        updated_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT function_triggers_name_unique UNIQUE (workspace_slug, name)
      )`);
    await runner.query(
      'CREATE INDEX function_triggers_function_idx ON data.function_triggers (workspace_slug, function_id)',
    );
    await runner.query(
      'CREATE INDEX function_triggers_created_idx ON data.function_triggers (workspace_slug, created_at, id)',
    );
    // One webhook per path, and one endpoint per (method, path), in a workspace.
    await runner.query(`
      CREATE UNIQUE INDEX function_triggers_webhook_path_unique ON data.function_triggers
        (workspace_slug, (trigger_metadata ->> 'path')) WHERE execution_type = 'webhook'`);
    await runner.query(`
      CREATE UNIQUE INDEX function_triggers_endpoint_route_unique ON data.function_triggers
        (workspace_slug, coalesce(trigger_metadata ->> 'method', 'ANY'), (trigger_metadata ->> 'path'))
        WHERE execution_type = 'endpoint'`);
    await runner.query(`
      CREATE TABLE data.function_trigger_versions (
        trigger_id uuid NOT NULL REFERENCES data.function_triggers (id) ON DELETE CASCADE,
        workspace_slug text NOT NULL,
        version integer NOT NULL,
        change text NOT NULL,
        snapshot jsonb NOT NULL,
        changed_by text NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (trigger_id, version)
      )`);
    await runner.query(`
      CREATE TABLE data.function_trigger_drafts (
        id uuid PRIMARY KEY,
        workspace_slug text NOT NULL,
        name text,
        description text NOT NULL DEFAULT '',
        function_id text,
        execution_type text,
        trigger_metadata jsonb NOT NULL DEFAULT '{}',
        created_by text NOT NULL,
        updated_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(
      'CREATE INDEX function_trigger_drafts_created_idx ON data.function_trigger_drafts (workspace_slug, created_at, id)',
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE data.function_trigger_drafts');
    await runner.query('DROP TABLE data.function_trigger_versions');
    await runner.query('DROP TABLE data.function_triggers');
    await runner.query('DROP TABLE data.compute_function_versions');
    await runner.query('DROP TABLE data.compute_functions');
  }
}
