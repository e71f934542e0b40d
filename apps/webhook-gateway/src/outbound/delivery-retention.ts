import type { KeptTable } from '@signalbox/persistence';

/**
 * How `webhooks.deliveries` and their attempts are kept (service-kit's partition keeper runs it on every replica,
 * hourly, one at a time doing the work): a partition per day two days ahead, and a day's partitions (its
 * deliveries and their attempts) dropped once all of it is older than DELIVERY_RETENTION_DAYS. A day with a
 * delivery still pending (its retries go on) is kept until it has ended. A workspace with a shorter retention of its
 * own (`PUT /system/retention`) has its older finished deliveries deleted with their attempts, a batch at a time
 * (one statement each, so a delivery never outlives its attempts' deletion nor the reverse).
 */
export const deliveryRetention = (retentionDays: number): KeptTable => ({
  table: 'webhooks.deliveries',
  alongside: ['webhooks.delivery_attempts'],
  retentionDays,
  daysAhead: 2,
  keepWhile: "status = 'pending'",
  perWorkspace: {
    setting: 'deliveriesDays',
    deleteBatch: `WITH gone AS (
        DELETE FROM webhooks.deliveries
         WHERE (id, created_at) IN (
                 SELECT id, created_at FROM webhooks.deliveries
                  WHERE workspace_slug = $1 AND created_at < $2 AND status <> 'pending' LIMIT $3)
           AND workspace_slug = $1 AND created_at < $2 AND status <> 'pending'
        RETURNING id, created_at
      ), attempts AS (
        DELETE FROM webhooks.delivery_attempts a USING gone
         WHERE a.delivery_id = gone.id AND a.delivery_created_at = gone.created_at AND a.delivery_created_at < $2
      )
      SELECT count(*)::int AS n FROM gone`,
  },
});
