import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Polling triggers: when each is due, its cursor (item ids seen) and its failures. */
export class CreatePolls1764240000000 implements MigrationInterface {
  name = 'CreatePolls1764240000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE scheduler.polls (
        trigger_id uuid PRIMARY KEY,
        workspace_slug text NOT NULL,
        next_poll_at timestamptz NOT NULL DEFAULT now(),
        claimed_until timestamptz,
        initialized boolean NOT NULL DEFAULT false,
        seen_ids jsonb NOT NULL DEFAULT '[]',
        last_polled_at timestamptz,
        failures integer NOT NULL DEFAULT 0,
        last_error text,
        runs_started bigint NOT NULL DEFAULT 0
      )`);
    await runner.query('CREATE INDEX polls_due_idx ON scheduler.polls (next_poll_at)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE scheduler.polls');
  }
}
