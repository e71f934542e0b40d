import type { FunctionRun } from '@signalbox/contracts';
import { waitFor } from '@signalbox/testing';

import type { ApiClient } from './http';

/** The run once its status is one of `statuses` (read through the API every moment until then). */
export const runUntil = (api: ApiClient, jobId: string, statuses: readonly string[], timeoutMs = 30_000) =>
  waitFor(
    async () => {
      const run = (await api.get<FunctionRun>(`/function-runs/${jobId}`)).body;
      return statuses.includes(run.status) ? run : undefined;
    },
    timeoutMs,
    `run ${jobId} to be ${statuses.join(' or ')}`,
  );
