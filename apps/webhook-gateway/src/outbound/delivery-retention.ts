import type { KeptTable } from '@signalbox/persistence';

/**
 * How `webhooks.deliveries` and their attempts are kept (service-kit's partition keeper runs it on every replica,
 * hourly, one at a time doing the work): a partition per day two days ahead, and a day's partitions (its
 * deliveries and their attempts) dropped once all of it is older than DELIVERY_RETENTION_DAYS. A day with a
 * delivery still pending (its retries go on) is kept until it has ended.
 */
export const deliveryRetention = (retentionDays: number): KeptTable => ({
  table: 'webhooks.deliveries',
  alongside: ['webhooks.delivery_attempts'],
  retentionDays,
  daysAhead: 2,
  keepWhile: "status = 'pending'",
});
