import type { KeptTable } from '@signalbox/persistence';

/**
 * How `runtime.runs` is kept (service-kit's partition keeper runs it on every replica, hourly, one at a time doing
 * the work): a partition per day two days ahead, and a day's partition dropped once all of it is older than
 * RUN_RETENTION_DAYS. A day with a run still to finish (a manual retry of an old run, one in flight or asleep) is kept until
 * it has. A workspace with a shorter retention of its own (`PUT /system/retention`) has its older finished runs
 * deleted, a batch at a time.
 */
export const runRetention = (retentionDays: number): KeptTable => ({
  table: 'runtime.runs',
  retentionDays,
  daysAhead: 2,
  keepWhile: "status IN ('queued', 'running', 'sleeping')",
  perWorkspace: {
    setting: 'runsDays',
    deleteBatch: `WITH gone AS (
        DELETE FROM runtime.runs
         WHERE (id, queued_at) IN (
                 SELECT id, queued_at FROM runtime.runs
                  WHERE workspace_slug = $1 AND queued_at < $2 AND status NOT IN ('queued', 'running', 'sleeping') LIMIT $3)
           -- Again on the row deleted: a manual retry that queued it meanwhile keeps it.
           AND workspace_slug = $1 AND queued_at < $2 AND status NOT IN ('queued', 'running', 'sleeping')
        RETURNING 1)
      SELECT count(*)::int AS n FROM gone`,
  },
});
