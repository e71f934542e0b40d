import type { FunctionRun, Webhook } from '@signalbox/contracts';
import { sleep, waitFor } from '@signalbox/testing';

import type { HostileContext } from '../support/hostile';
import { Receiver } from '../support/receiver';

/**
 * Class 2: characters Postgres refuses (U+0000, lone surrogates) in any value from outside. Runs, outcomes and
 * delivery attempts of all tenants share statements; one such value used to fail the whole batch, and the
 * other tenants' work in it ran (or was delivered) again.
 */
export function poisonCharacters(context: () => HostileContext): void {
  describe('characters the database refuses (NUL, lone surrogates)', () => {
    let receiver: Receiver;

    beforeAll(async () => {
      receiver = await Receiver.start();
    });

    afterAll(async () => {
      await receiver?.stop();
    });

    it("keeps another tenant's runs in the same batches exactly once while results, logs and steps carry them", async () => {
      const ctx = context();
      const poison = await ctx.createFunction(`async function run() {
        api.log('nul \\u0000', { ['key\\ud800']: 'lone \\udc00' });
        await api.step('nul-step', async () => ({ out: 'x\\u0000y' }));
        return { nul: 'ok\\u0000', lone: '\\ud83d', pair: '\\ud83d\\ude00', n: executionParams.n };
      }`);
      const sideEffect = await ctx.createFunction(
        `async function run() {
          await api.fetch(executionParams.url, { method: 'POST', body: String(executionParams.n) });
          return 'done';
        }`,
        {},
        ctx.other,
      );
      const url = receiver.on('/side-effects', () => ({ status: 200 }));
      const [poisonJobs, otherJobs] = await Promise.all([
        Promise.all(Array.from({ length: 40 }, (_, n) => ctx.execute(poison.defaultTriggerId, { n }))),
        Promise.all(
          Array.from({ length: 40 }, (_, n) => ctx.execute(sideEffect.defaultTriggerId, { n, url }, ctx.other)),
        ),
      ]);
      for (const jobId of [...poisonJobs, ...otherJobs]) await ctx.finished(jobId);
      await sleep(500);

      const effects = receiver.at('/side-effects').map((request) => Number(request.body));
      expect(effects.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, n) => n));
      const run = (await ctx.readRun(poisonJobs[0])).body;
      expect(run.status).toBe('completed');
      expect(run.result).toMatchObject({ nul: 'ok\ufffd', lone: '\ufffd', pair: '\ud83d\ude00' });
      expect(run.steps[0]).toMatchObject({ status: 'completed', output: { out: 'x\ufffdy' } });
      const logs = (await ctx.api.get<{ logs: Array<{ args: unknown[] }> }>(`/function-runs/${poisonJobs[0]}/logs`))
        .body.logs;
      expect(logs[0].args).toEqual(['nul \ufffd', { 'key\ufffd': 'lone \ufffd' }]);
    });

    it('turns an anonymous webhook with NUL in its query and body into a run that exists', async () => {
      const ctx = context();
      const fn = await ctx.createFunction('async function run() { return executionParams.query; }');
      await ctx.createTrigger(fn.id, { executionType: 'webhook', triggerMetadata: { path: '/hostile/nul' } });
      await sleep(300);
      const sent = await ctx.webhook('/hostile/nul?x=%00&y=%ED%A0%80', {
        headers: { 'content-type': 'application/json' },
        body: '{"a":"\\u0000","b":"\\ud800"}',
      });
      expect(sent.status).toBe(202);
      expect((await ctx.finished(sent.jobId!)).status).toBe('completed');
      const run = (await ctx.readRun(sent.jobId!)).body as FunctionRun & {
        executionParams: { body: unknown; rawBody: string };
      };
      expect(run.executionParams.body).toEqual({ a: '\ufffd', b: '\ufffd' });
      // The exact bytes stay in rawBody.
      expect(Buffer.from(run.executionParams.rawBody, 'base64').toString()).toBe('{"a":"\\u0000","b":"\\ud800"}');
    });

    it("delivers other tenants' webhooks once while a receiver answers with a NUL", async () => {
      const ctx = context();
      const subscriptions: Array<() => Promise<unknown>> = [];
      const subscribe = async (api: typeof ctx.api, path: string) => {
        const created = await api.post<Webhook>('/webhooks', {
          name: `wh-${path.slice(1)}`,
          url: `${receiver.url}${path}`,
          events: ['function.completed'],
        });
        expect(created.status).toBe(201);
        subscriptions.push(() => api.delete(`/webhooks/${created.body.id}`));
      };
      receiver.on('/answers-nul', () => ({ status: 200, body: 'ok\u0000 and \ud800' }));
      receiver.on('/clean', () => ({ status: 200, body: 'ok' }));
      await subscribe(ctx.api, '/answers-nul');
      await subscribe(ctx.other, '/clean');
      await sleep(300);
      const mine = await ctx.createFunction('async function run() { return 1; }');
      const theirs = await ctx.createFunction('async function run() { return 2; }', {}, ctx.other);
      const jobs = await Promise.all([
        ...Array.from({ length: 20 }, () => ctx.execute(mine.defaultTriggerId)),
        ...Array.from({ length: 20 }, () => ctx.execute(theirs.defaultTriggerId, {}, ctx.other)),
      ]);
      for (const jobId of jobs) await ctx.finished(jobId);
      const ids = (path: string) => receiver.at(path).map((request) => request.headers['webhook-id']);
      await waitFor(
        () => Promise.resolve(ids('/clean').length >= 20 && ids('/answers-nul').length >= 20 ? true : undefined),
        20_000,
        'the deliveries',
      );
      await sleep(3000); // a delivery whose attempt could not be recorded would be sent again within this
      expect(ids('/clean')).toHaveLength(20);
      expect(new Set(ids('/clean')).size).toBe(20);
      expect(ids('/answers-nul')).toHaveLength(20);
      // The cases after this one run functions too; their events are not for this receiver.
      for (const unsubscribe of subscriptions) await unsubscribe();
    });

    it('refuses what a tenant sends the API with them, naming the field, and changes nothing', async () => {
      const ctx = context();
      const named = await ctx.api.post<{ error: { code: string; details?: Array<{ path: string[] }> } }>(
        '/compute-functions',
        { name: 'nul\u0000name', code: 'async function run() {}' },
      );
      expect(named.status).toBe(400);
      expect(named.body.error.code).toBe('VALIDATION_ERROR');
      const fn = await ctx.createFunction('async function run() { return 1; }');
      const executed = await ctx.api.post<{ error: { code: string; message: string } }>(
        `/function-triggers/${fn.defaultTriggerId}/execute`,
        { deep: [{ text: 'a\ud800' }] },
      );
      expect(executed.status).toBe(400);
      expect(executed.body.error.message).toContain('deep');
      const list = await ctx.api.get<{ total: number }>(`/function-runs?functionId=${fn.id}`);
      expect(list.body.total).toBe(0);
    });
  });
}
