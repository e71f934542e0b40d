import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Flow control and durable sleep (docs/run-control.md): why a queued (or sleeping) run waits, how often it slept, how far through the gates it got, and the state each
 * gate keeps per (workspace, trigger, key). Every change to it is made under an advisory lock on the gate and key,
 * in the same transaction as the run's own change.
 * - `flow_slots`: the runs that hold one of a concurrency limit's slots (running, or admitted and on their way).
 * - `flow_waiting`: the runs waiting for a slot, in `rank` order (queued at, less the priority's head start).
 * - `flow_throttle`: per throttle key, the last `limit` starts given out (`reserved`, which orders the runs that
 *   wait) and the last `limit` starts that happened (`starts`, which no window of the period may hold more of).
 * - `flow_debounce`: the one run of a debounce key waiting for its quiet period.
 */
export class AddFlowControl1797000000000 implements MigrationInterface {
  name = 'AddFlowControl1797000000000';

  async up(runner: QueryRunner): Promise<void> {
    // Metadata-only changes on the partitioned table (a constant default rewrites nothing).
    await runner.query(`ALTER TABLE runtime.runs ADD COLUMN waiting_for jsonb`);
    await runner.query(`ALTER TABLE runtime.runs ADD COLUMN flow_stage smallint NOT NULL DEFAULT 0`);
    await runner.query(`ALTER TABLE runtime.runs ADD COLUMN sleeps smallint NOT NULL DEFAULT 0`);
    await runner.query(`
      CREATE TABLE runtime.flow_slots (
        run_id uuid PRIMARY KEY,
        workspace_slug text NOT NULL,
        trigger_id uuid NOT NULL,
        key text NOT NULL,
        queued_at timestamptz NOT NULL,
        acquired_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`CREATE INDEX flow_slots_key ON runtime.flow_slots (workspace_slug, trigger_id, key)`);
    await runner.query(`
      CREATE TABLE runtime.flow_waiting (
        run_id uuid PRIMARY KEY,
        workspace_slug text NOT NULL,
        trigger_id uuid NOT NULL,
        function_id uuid NOT NULL,
        key text NOT NULL,
        slot_limit integer NOT NULL,
        rank timestamptz NOT NULL,
        queued_at timestamptz NOT NULL,
        since timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(
      `CREATE INDEX flow_waiting_line ON runtime.flow_waiting (workspace_slug, trigger_id, key, rank, run_id)`,
    );
    await runner.query(`CREATE INDEX flow_waiting_since ON runtime.flow_waiting (since)`);
    await runner.query(`
      CREATE TABLE runtime.flow_throttle (
        workspace_slug text NOT NULL,
        trigger_id uuid NOT NULL,
        key text NOT NULL,
        reserved timestamptz[] NOT NULL,
        starts timestamptz[] NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (workspace_slug, trigger_id, key)
      )`);
    await runner.query(`
      CREATE TABLE runtime.flow_debounce (
        workspace_slug text NOT NULL,
        trigger_id uuid NOT NULL,
        key text NOT NULL,
        run_id uuid NOT NULL,
        queued_at timestamptz NOT NULL,
        due_at timestamptz NOT NULL,
        PRIMARY KEY (workspace_slug, trigger_id, key)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      'DROP TABLE runtime.flow_debounce, runtime.flow_throttle, runtime.flow_waiting, runtime.flow_slots',
    );
    await runner.query('ALTER TABLE runtime.runs DROP COLUMN sleeps, DROP COLUMN flow_stage, DROP COLUMN waiting_for');
  }
}
