import type { RunStats } from '@signalbox/sdk';

/** How many runs one function had since an instant, in all and by status (`GET /function-runs/stats`). */
export type FunctionRunStats = RunStats['functions'][number];

/** The route takes up to this many functions at once. */
export const MAX_STATS_IDS = 100;

/** The share of finished runs that failed or timed out, as a percentage; null when none finished. */
export function failureRate(stats: FunctionRunStats | undefined): number | null {
  if (!stats) return null;
  const failed = stats.byStatus.failed + stats.byStatus.timed_out;
  const finished = failed + stats.byStatus.completed + stats.byStatus.cancelled;
  return finished === 0 ? null : (failed / finished) * 100;
}
