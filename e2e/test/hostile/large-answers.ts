import { createHmac } from 'node:crypto';

import type { FunctionRunList, WebhookTestSampleList } from '@signalbox/contracts';
import { sleep, waitFor } from '@signalbox/testing';

import type { HostileContext } from '../support/hostile';

/**
 * Class 1: answers larger than one NATS message (1 MB). Each value below is within a documented limit, and
 * each read of it used to kill the service that answered it.
 */
export function largeAnswers(context: () => HostileContext): void {
  describe('answers larger than one NATS message', () => {
    it('reads a run whose result is just under the result limit (1 MiB)', async () => {
      const ctx = context();
      const fn = await ctx.createFunction(`async function run() { return 'r'.repeat(1_048_000); }`);
      const jobId = await ctx.execute(fn.defaultTriggerId);
      expect((await ctx.finished(jobId)).status).toBe('completed');
      const run = await ctx.readRun(jobId);
      expect(run.status).toBe(200);
      expect(run.body.result).toHaveLength(1_048_000);
    });

    it('reads a run whose params and result together are twice the NATS limit', async () => {
      const ctx = context();
      const fn = await ctx.createFunction('async function run() { return executionParams; }');
      const jobId = await ctx.execute(fn.defaultTriggerId, { blob: 'p'.repeat(900_000) });
      expect((await ctx.finished(jobId)).status).toBe('completed');
      const run = await ctx.readRun(jobId);
      expect(run.status).toBe(200);
      expect((run.body.result as { blob: string }).blob).toHaveLength(900_000);
      expect((run.body.executionParams as { blob: string }).blob).toHaveLength(900_000);
    });

    it('lists runs that returned 100 KB each as summaries', async () => {
      const ctx = context();
      const fn = await ctx.createFunction(`async function run() { return 'l'.repeat(100_000); }`);
      const jobs = await Promise.all(Array.from({ length: 12 }, () => ctx.execute(fn.defaultTriggerId)));
      for (const jobId of jobs) await ctx.finished(jobId);
      const list = await ctx.api.get<FunctionRunList>(`/function-runs?functionId=${fn.id}&limit=500`);
      expect(list.status).toBe(200);
      expect(list.body.runs).toHaveLength(12);
      expect(list.body.runs[0]).not.toHaveProperty('result');
      expect(list.body.runs[0]).not.toHaveProperty('executionParams');
    });

    it("bounds the steps' outputs and the error of a run, whatever the code returns or throws", async () => {
      const ctx = context();
      const steps = await ctx.createFunction(`async function run() {
        for (let i = 0; i < 3; i++) await api.step('big-' + i, async () => 's'.repeat(600_000));
        return 'unreachable';
      }`);
      const stepsJob = await ctx.execute(steps.defaultTriggerId);
      expect((await ctx.finished(stepsJob)).status).toBe('failed');
      const stepsRun = await ctx.readRun(stepsJob);
      expect(stepsRun.status).toBe(200);
      expect(stepsRun.body.error).toMatchObject({ name: 'RangeError' });
      expect(stepsRun.body.steps.filter((step) => step.status === 'completed')).toHaveLength(1);

      const thrower = await ctx.createFunction(`async function run() { throw new Error('e'.repeat(3_000_000)); }`);
      const throwJob = await ctx.execute(thrower.defaultTriggerId);
      expect((await ctx.finished(throwJob)).status).toBe('failed');
      const thrown = await ctx.readRun(throwJob);
      expect(thrown.status).toBe(200);
      expect(thrown.body.error?.message.length).toBeLessThanOrEqual(4096);
    });

    it('answers the test samples of 20 anonymous 64 KB webhooks with a wrong signature', async () => {
      const ctx = context();
      const fn = await ctx.createFunction('async function run() { return 1; }');
      const trigger = await ctx.createTrigger(fn.id, {
        executionType: 'webhook',
        triggerMetadata: {
          path: '/hostile/samples',
          params: { provider: 'hmac-sha256', validateSignature: true, signingSecret: { value: 'k', encrypt: true } },
        },
      });
      await sleep(300); // the gateway's index follows the KV bucket
      const body = JSON.stringify({ pad: 'w'.repeat(64 * 1024) });
      for (let i = 0; i < 20; i++) {
        const response = await fetch(`${ctx.gateway}/workspace/acme/api/v1/webhook/hostile/samples?i=${i}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-signature': createHmac('sha256', 'no').update(body).digest('hex'),
          },
          body,
        });
        expect(response.status).toBe(401);
      }
      const samples = await waitFor(
        async () => {
          const response = await ctx.api.get<WebhookTestSampleList>(`/function-triggers/${trigger.id}/test-samples`);
          expect(response.status).toBe(200);
          return response.body.samples.length === 20 ? response.body.samples : undefined;
        },
        10_000,
        'the 20 samples',
      );
      expect(samples.every((sample) => sample.outcome === 'signature_failed')).toBe(true);
    });
  });
}
