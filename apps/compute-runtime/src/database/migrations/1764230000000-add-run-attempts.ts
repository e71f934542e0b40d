import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Retry policies: every finished attempt of a run, and when a run waiting to be retried is due. */
export class AddRunAttempts1764230000000 implements MigrationInterface {
  name = 'AddRunAttempts1764230000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE runtime.runs ADD COLUMN attempts jsonb NOT NULL DEFAULT '[]'`);
    await runner.query('ALTER TABLE runtime.runs ADD COLUMN next_attempt_at timestamptz');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE runtime.runs DROP COLUMN next_attempt_at');
    await runner.query('ALTER TABLE runtime.runs DROP COLUMN attempts');
  }
}
