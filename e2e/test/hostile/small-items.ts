import type { WebhookTestSampleList } from '@signalbox/contracts';
import { sleep, waitFor } from '@signalbox/testing';

import type { HostileContext } from '../support/hostile';

/** Class 10 (low): what a tenant or a sender learns or leaves behind through the shared surfaces. */
export function smallItems(context: () => HostileContext): void {
  describe('what leaks through the shared surfaces', () => {
    it("keeps credentials in a webhook's query string out of test samples and the gateway's access log", async () => {
      const ctx = context();
      const fn = await ctx.createFunction('async function run() { return 1; }');
      const trigger = await ctx.createTrigger(fn.id, {
        executionType: 'webhook',
        triggerMetadata: { path: '/hostile/query' },
      });
      await sleep(300);
      const secret = 'qs-secret-4f9a';
      const sent = await ctx.webhook(`/hostile/query?token=${secret}&api_key=${secret}&order=7`, { body: '{}' });
      expect(sent.status).toBe(202);
      const sample = await waitFor(
        async () =>
          (await ctx.api.get<WebhookTestSampleList>(`/function-triggers/${trigger.id}/test-samples`)).body.samples[0],
        10_000,
        'the sample',
      );
      expect(sample.query).toEqual({ token: '[redacted]', api_key: '[redacted]', order: '7' });
      expect(ctx.platform.service('webhook-gateway').logs).not.toContain(secret);
    });

    it('does not let an endpoint function set cookies on the origin every tenant shares', async () => {
      const ctx = context();
      const fn = await ctx.createFunction(
        `async function run() { return { status: 200, headers: { 'set-cookie': 'session=evil; Path=/', 'x-mine': 'yes' }, body: 'ok' }; }`,
      );
      await ctx.createTrigger(fn.id, {
        executionType: 'endpoint',
        triggerMetadata: { path: '/hostile/cookie', method: 'GET' },
      });
      await sleep(300);
      const response = await fetch(`${ctx.gateway}/workspace/acme/api/v1/endpoints/hostile/cookie`);
      expect(response.status).toBe(200);
      const jobId = response.headers.get('x-signalbox-job-id');
      if (jobId) ctx.accepted.add(jobId);
      expect(response.headers.get('x-mine')).toBe('yes');
      expect(response.headers.get('set-cookie')).toBeNull();
    });

    it("names no workspace in the router's /metrics", async () => {
      const ctx = context();
      const fn = await ctx.createFunction('async function run() { return 1; }');
      await ctx.createTrigger(fn.id, {
        executionType: 'event-driven',
        triggerMetadata: { event: 'record_created', recordSlug: 'metered' },
      });
      await sleep(300);
      await ctx.api.post('/events', { event: 'record_created', recordSlug: 'metered', recordId: 'm-1', data: {} });
      const metrics = await waitFor(
        async () => {
          const text = await (await fetch(`${ctx.platform.service('event-router').url}/metrics`)).text();
          return /^signalbox_event_runs_dispatched_total\{[^}]*\} [1-9]/m.test(text) ? text : undefined;
        },
        10_000,
        'the dispatch to be counted',
      );
      expect(metrics).not.toMatch(/workspace="/);
      const runs = await waitFor(
        async () => {
          const list = await ctx.api.get<{ runs: Array<{ jobId: string; status: string }> }>(
            `/function-runs?functionId=${fn.id}`,
          );
          return list.body.runs.every((run) => !['queued', 'running'].includes(run.status)) && list.body.runs.length > 0
            ? list.body.runs
            : undefined;
        },
        20_000,
        'the event run to finish',
      );
      for (const run of runs) ctx.accepted.add(run.jobId);
    });
  });
}
