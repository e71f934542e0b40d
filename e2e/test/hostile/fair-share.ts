import { queryDatabase, waitFor } from '@signalbox/testing';

import type { HostileContext } from '../support/hostile';

const BACKLOG = 150;

/**
 * Class 8 (high): one workspace's burst must not stand in front of another's runs, neither in the queue
 * (EXECUTIONS) nor for the sandbox workers.
 */
export function fairShare(context: () => HostileContext): void {
  describe('a fair share of the queue and the sandbox for every workspace', () => {
    it("runs another workspace's run while one workspace's backlog is still queued", async () => {
      const ctx = context();
      const heavy = await ctx.createFunction(
        'async function run() { const end = Date.now() + 40; while (Date.now() < end) {} return 1; }',
      );
      const burst = await ctx.createTrigger(heavy.id, { executionType: 'on-demand', triggerMetadata: {} });
      const light = await ctx.createFunction('async function run() { return 1; }', {}, ctx.other);
      const single = await ctx.createTrigger(light.id, { executionType: 'on-demand', triggerMetadata: {} }, ctx.other);
      const burstIds = await Promise.all(Array.from({ length: BACKLOG }, () => ctx.execute(burst.id)));

      const jobId = await ctx.execute(single.id, {}, ctx.other);
      expect(await ctx.finished(jobId)).toEqual({ status: 'completed' });
      // First in, first out, the backlog would all have run before it.
      const [row] = await queryDatabase<{ n: number }>(
        ctx.platform.database.url,
        "SELECT count(*)::int AS n FROM runtime.runs WHERE id = ANY($1::uuid[]) AND status NOT IN ('completed', 'failed', 'timed_out')",
        [burstIds],
      );
      expect(row.n).toBeGreaterThan(0);

      // And the backlog itself finishes, each run once (the suite's last checks count them).
      await waitFor(
        async () => {
          const [left] = await queryDatabase<{ n: number }>(
            ctx.platform.database.url,
            "SELECT count(*)::int AS n FROM runtime.runs WHERE id = ANY($1::uuid[]) AND status IN ('completed', 'failed', 'timed_out')",
            [burstIds],
          );
          return left.n === BACKLOG ? true : undefined;
        },
        60_000,
        'the backlog to finish',
      );
    });
  });
}
