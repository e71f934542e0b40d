import type { UsageTable } from '@signalbox/persistence';

/** This service's tables whose rows belong to workspaces, as `GET /system/usage` reports them. */
export const usageTables = (retentionDays: number): UsageTable[] => [
  { table: 'runtime.runs', kept: `${retentionDays} days` },
];
