import type { UsageTable } from '@signalbox/persistence';

import { LOG_KEPT_PER_TRIGGER } from '../schedules/scheduler.loop';

/** This service's tables whose rows belong to workspaces, as `GET /system/usage` reports them. */
export const usageTables: UsageTable[] = [
  { table: 'scheduler.schedules', kept: 'one per scheduled trigger' },
  { table: 'scheduler.fire_log', kept: `latest ${LOG_KEPT_PER_TRIGGER} per trigger` },
  { table: 'scheduler.polls', kept: 'one per polling trigger' },
];
