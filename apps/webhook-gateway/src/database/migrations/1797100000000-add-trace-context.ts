import { addOutboxTraceparent } from '@signalbox/persistence';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Traces (docs/operations.md "Traces"), when tracing is on: the trace id of the work that created a delivery (the
 * run's outcome event, a replay or test request), and the `traceparent` of each outbox entry, so that a delivery job
 * the sweep publishes continues its writer's trace. Nullable, no default: adding them rewrites nothing.
 */
export class AddTraceContext1797100000000 implements MigrationInterface {
  name = 'AddTraceContext1797100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE webhooks.deliveries ADD COLUMN IF NOT EXISTS trace_id text`);
    await addOutboxTraceparent(runner, 'webhooks');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE webhooks.outbox DROP COLUMN IF EXISTS traceparent`);
    await runner.query(`ALTER TABLE webhooks.deliveries DROP COLUMN IF EXISTS trace_id`);
  }
}
