import type { RunStatus, Signalbox } from '@signalbox/sdk';

import { answer } from '../../api';

const STATS = '/workspace/{workspace}/api/v1/function-runs/stats';

/** How many runs one function had since an instant, in all and by status. */
export interface FunctionRunStats {
  readonly functionId: string;
  readonly total: number;
  readonly byStatus: Readonly<Record<RunStatus, number>>;
}

/** The route takes up to this many functions at once. */
export const MAX_STATS_IDS = 100;

/**
 * The runs of each of `functionIds` (at most 100) since `since`, by function id (`GET /function-runs/stats`);
 * a function without runs is absent.
 */
export async function readRunStats(
  client: Signalbox,
  functionIds: readonly string[],
  since: Date,
  signal?: AbortSignal,
): Promise<Map<string, FunctionRunStats>> {
  if (functionIds.length === 0) return new Map();
  const stats = await answer(
    client.api.GET(STATS, {
      params: {
        path: { workspace: client.workspace },
        query: { since: since.toISOString(), functionId: functionIds.slice(0, MAX_STATS_IDS) },
      },
      signal,
    }),
  );
  return new Map(stats.functions.map((entry) => [entry.functionId, entry]));
}

/** The share of finished runs that failed or timed out, as a percentage; null when none finished. */
export function failureRate(stats: FunctionRunStats | undefined): number | null {
  if (!stats) return null;
  const failed = stats.byStatus.failed + stats.byStatus.timed_out;
  const finished = failed + stats.byStatus.completed + stats.byStatus.cancelled;
  return finished === 0 ? null : (failed / finished) * 100;
}
