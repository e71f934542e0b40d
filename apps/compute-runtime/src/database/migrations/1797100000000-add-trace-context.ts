import { addOutboxTraceparent } from '@signalbox/persistence';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Traces (docs/operations.md "Traces"), when tracing is on: the `traceparent` of the work that recorded a run (a
 * record event's, a REST request's, a schedule fire's), which its later attempts continue and whose trace id the API
 * shows (logs, runs and traces join on it); and that of each outbox entry, so that a message the sweep publishes
 * continues its writer's trace. Nullable, no default: adding them rewrites nothing, on the parent and every partition
 * at once.
 */
export class AddTraceContext1797100000000 implements MigrationInterface {
  name = 'AddTraceContext1797100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE runtime.runs ADD COLUMN IF NOT EXISTS traceparent text`);
    await addOutboxTraceparent(runner, 'runtime');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE runtime.outbox DROP COLUMN IF EXISTS traceparent`);
    await runner.query(`ALTER TABLE runtime.runs DROP COLUMN IF EXISTS traceparent`);
  }
}
