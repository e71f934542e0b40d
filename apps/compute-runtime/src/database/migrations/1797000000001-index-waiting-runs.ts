import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Runs a waker must publish again when they are due: sleeping, or held back by a throttle or a debounce. */
const NAME = 'runs_waking';
const ON = `(next_attempt_at) WHERE waiting_for IS NOT NULL AND next_attempt_at IS NOT NULL`;

/**
 * The waker's look-up (RunWaker). `runtime.runs` is partitioned, and an index on it cannot be built CONCURRENTLY:
 * it is declared on the parent only, built CONCURRENTLY on each partition (writes go on), and each partition's
 * attached; once all are, the parent's is valid, and new partitions get theirs when they are made. Outside a
 * transaction; an index a failed build left invalid is dropped and built again.
 */
export class IndexWaitingRuns1797000000001 implements MigrationInterface {
  name = 'IndexWaitingRuns1797000000001';
  transaction = false;

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE INDEX IF NOT EXISTS ${NAME} ON ONLY runtime.runs ${ON}`);
    const partitions = (await runner.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'runtime.runs'::regclass`,
    )) as Array<{ name: string }>;
    for (const { name: partition } of partitions) {
      // A partition made after the parent's index was declared got its own, attached, under a name of Postgres's.
      const attached = (await runner.query(
        `SELECT 1 FROM pg_inherits i JOIN pg_index x ON x.indexrelid = i.inhrelid
          WHERE i.inhparent = 'runtime.${NAME}'::regclass AND x.indrelid = $1::regclass`,
        [`runtime.${partition}`],
      )) as unknown[];
      if (attached.length > 0) continue;
      const index = `${NAME}_${partition}`.slice(0, 63);
      const invalid = (await runner.query(
        `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'runtime' AND c.relname = $1 AND NOT i.indisvalid`,
        [index],
      )) as unknown[];
      if (invalid.length > 0) await runner.query(`DROP INDEX CONCURRENTLY IF EXISTS runtime.${index}`);
      await runner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${index} ON runtime.${partition} ${ON}`);
      await runner.query(`ALTER INDEX runtime.${NAME} ATTACH PARTITION runtime.${index}`);
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX IF EXISTS runtime.${NAME}`);
  }
}
