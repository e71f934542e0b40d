import { createOutboxTable } from '@signalbox/persistence';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Queue messages of runs written but not yet published (on-demand runs, manual retries): see `Outbox`. */
export class CreateOutbox1796700000000 implements MigrationInterface {
  name = 'CreateOutbox1796700000000';

  async up(runner: QueryRunner): Promise<void> {
    await createOutboxTable(runner, 'runtime');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE runtime.outbox');
  }
}
