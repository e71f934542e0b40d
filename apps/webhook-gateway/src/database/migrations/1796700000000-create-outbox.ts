import { createOutboxTable } from '@signalbox/persistence';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Queue messages of deliveries written but not yet published (fan-out, replays): see `Outbox`. */
export class CreateOutbox1796700000000 implements MigrationInterface {
  name = 'CreateOutbox1796700000000';

  async up(runner: QueryRunner): Promise<void> {
    await createOutboxTable(runner, 'webhooks');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE webhooks.outbox');
  }
}
