import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Schedule state, written only by scheduler-service: one row per scheduled trigger (its spec as last applied,
 * when it is due, what it last fired), and a short log of missed and skipped fires.
 */
export class CreateSchedules1764144000000 implements MigrationInterface {
  name = 'CreateSchedules1764144000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE scheduler.schedules (
        trigger_id uuid PRIMARY KEY,
        workspace_slug text NOT NULL,
        function_id uuid NOT NULL,
        trigger_version integer NOT NULL,
        enabled boolean NOT NULL,
        interval_seconds integer,
        cron text,
        timezone text,
        dst_gap text NOT NULL DEFAULT 'shift',
        catch_up text NOT NULL DEFAULT 'one',
        overlap text NOT NULL DEFAULT 'allow',
        next_due_at timestamptz,
        wake_at timestamptz,
        running_run_id uuid,
        buffered_due_at timestamptz,
        last_scheduled_at timestamptz,
        last_fired_at timestamptz,
        last_run_id uuid,
        disabled_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((interval_seconds IS NULL) <> (cron IS NULL))
      )`);
    // The claim query reads this index only: enabled rows whose wake time has come, oldest first.
    await runner.query('CREATE INDEX schedules_wake_idx ON scheduler.schedules (wake_at) WHERE wake_at IS NOT NULL');
    await runner.query(`
      CREATE TABLE scheduler.fire_log (
        id bigserial PRIMARY KEY,
        trigger_id uuid NOT NULL,
        workspace_slug text NOT NULL,
        outcome text NOT NULL,
        reason text NOT NULL,
        count integer NOT NULL,
        first_scheduled_at timestamptz NOT NULL,
        last_scheduled_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query('CREATE INDEX fire_log_trigger_idx ON scheduler.fire_log (trigger_id, id DESC)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE scheduler.fire_log');
    await runner.query('DROP TABLE scheduler.schedules');
  }
}
