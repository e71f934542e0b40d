import { TEST_SAMPLES_KEPT } from '@signalbox/contracts';
import type { UsageTable } from '@signalbox/persistence';

/** This service's tables whose rows belong to workspaces, as `GET /system/usage` reports them. */
export const usageTables = (retentionDays: number): UsageTable[] => [
  { table: 'webhooks.deliveries', kept: `${retentionDays} days` },
  {
    table: 'webhooks.delivery_attempts',
    kept: `${retentionDays} days`,
    // Attempts carry no workspace: each delivery counts its own.
    countSql: 'SELECT coalesce(sum(attempts), 0)::bigint AS rows FROM webhooks.deliveries WHERE workspace_slug = $1',
  },
  { table: 'webhooks.test_samples', kept: `latest ${TEST_SAMPLES_KEPT} per trigger` },
];
