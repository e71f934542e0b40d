import type { KeptTable } from '@signalbox/persistence';

/**
 * How `runtime.runs` is kept (service-kit's partition keeper runs it on every replica, hourly, one at a time doing
 * the work): a partition per day two days ahead, and a day's partition dropped once all of it is older than
 * RUN_RETENTION_DAYS. A day with a run still to finish (a manual retry of an old run, one in flight) is kept until
 * it has.
 */
export const runRetention = (retentionDays: number): KeptTable => ({
  table: 'runtime.runs',
  retentionDays,
  daysAhead: 2,
  keepWhile: "status IN ('queued', 'running')",
});
