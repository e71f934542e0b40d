import { createDailyPartitions } from '@signalbox/persistence';
import type { MigrationInterface, QueryRunner } from 'typeorm';

const DELIVERIES = { table: 'webhooks.deliveries', alongside: ['webhooks.delivery_attempts'] };

const DELIVERY_COLUMNS = `id, workspace_slug, webhook_id, event_id, event, body, status, attempts, next_attempt_at,
  replay_of, created_at, completed_at`;

/**
 * Issue 20: `webhooks.deliveries` partitioned by day on `created_at`, and `webhooks.delivery_attempts` by the day
 * of their delivery (`delivery_created_at`), so that expiring a day of deliveries is dropping two tables (see
 * `deliveryRetention`). The primary keys include the partition key; a delivery id is still stored once, because
 * every insert checks all partitions under a lock on the id (`DeliveryRepository`). The attempts no longer
 * reference their delivery by a foreign key (they are dropped with its day instead). The existing rows are
 * copied into their days' partitions in this migration (one transaction: the old release waits for it).
 */
export class PartitionDeliveries1796900000000 implements MigrationInterface {
  name = 'PartitionDeliveries1796900000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE webhooks.delivery_attempts RENAME TO delivery_attempts_unpartitioned');
    await runner.query('ALTER TABLE webhooks.deliveries RENAME TO deliveries_unpartitioned');
    await runner.query('ALTER INDEX IF EXISTS webhooks.deliveries_pkey RENAME TO deliveries_old_pkey');
    await runner.query(
      'ALTER INDEX IF EXISTS webhooks.deliveries_webhook_created_idx RENAME TO deliveries_old_webhook_created_idx',
    );
    await runner.query('ALTER INDEX IF EXISTS webhooks.delivery_attempts_pkey RENAME TO delivery_attempts_old_pkey');
    await runner.query(`
      CREATE TABLE webhooks.deliveries (
        id uuid NOT NULL,
        workspace_slug text NOT NULL,
        webhook_id uuid NOT NULL,
        event_id text NOT NULL,
        event text NOT NULL,
        body text NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        replay_of uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        PRIMARY KEY (id, created_at)
      ) PARTITION BY RANGE (created_at)`);
    await runner.query(
      'CREATE INDEX deliveries_webhook_created_idx ON webhooks.deliveries (workspace_slug, webhook_id, created_at DESC)',
    );
    await runner.query(`
      CREATE TABLE webhooks.delivery_attempts (
        delivery_id uuid NOT NULL,
        delivery_created_at timestamptz NOT NULL,
        attempt integer NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        status_code integer,
        latency_ms integer NOT NULL,
        error text,
        response_body text,
        PRIMARY KEY (delivery_id, attempt, delivery_created_at)
      ) PARTITION BY RANGE (delivery_created_at)`);

    // A partition for each day that has deliveries, and for today and the two days ahead (deliveryRetention
    // keeps that up).
    const days = (await runner.query(
      `SELECT DISTINCT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day FROM webhooks.deliveries_unpartitioned`,
    )) as Array<{ day: string }>;
    for (const { day } of days) {
      const start = new Date(`${day}T00:00:00.000Z`);
      await createDailyPartitions(runner, DELIVERIES, start, start);
    }
    const now = new Date();
    await createDailyPartitions(runner, DELIVERIES, now, new Date(now.getTime() + 2 * 86_400_000));
    await runner.query(
      `INSERT INTO webhooks.deliveries (${DELIVERY_COLUMNS})
       SELECT ${DELIVERY_COLUMNS} FROM webhooks.deliveries_unpartitioned`,
    );
    await runner.query(`
      INSERT INTO webhooks.delivery_attempts (delivery_id, delivery_created_at, attempt, at, status_code, latency_ms,
                                              error, response_body)
      SELECT a.delivery_id, d.created_at, a.attempt, a.at, a.status_code, a.latency_ms, a.error, a.response_body
        FROM webhooks.delivery_attempts_unpartitioned a
        JOIN webhooks.deliveries_unpartitioned d ON d.id = a.delivery_id`);
    await runner.query('DROP TABLE webhooks.delivery_attempts_unpartitioned');
    await runner.query('DROP TABLE webhooks.deliveries_unpartitioned');
  }

  down(): Promise<void> {
    return Promise.reject(
      new Error('webhooks.deliveries stays partitioned: restore the backup taken before the upgrade to go back'),
    );
  }
}
