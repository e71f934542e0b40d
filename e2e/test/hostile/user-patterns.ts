import type { FunctionRunList } from '@signalbox/contracts';
import { sleep, waitFor } from '@signalbox/testing';

import type { HostileContext } from '../support/hostile';

interface ErrorBody {
  error: { code: string; message: string };
}

/**
 * Classes 3 and 4: user regular expressions and JSON Schemas run in shared processes (data-service at
 * execute, the gateway for every webhook, the router for every event). A pattern that backtracks, or a
 * `uniqueItems` over a large array, used to hold the whole process for seconds to hours; a schema's `$id`
 * was shared by every tenant. Each case here would not finish on an engine that backtracks.
 */
export function userPatterns(context: () => HostileContext): void {
  describe('user regular expressions and JSON Schemas', () => {
    const evil = 'a'.repeat(5_000) + '!';

    it.each([
      ['nested quantifiers', '^(a+)+$'],
      ['an overlapping alternation', '^(\\w|\\d)+$'],
      ['nested alternations', '^((a|aa)+)+$'],
    ])('checks an execute body against an inputSchema pattern with %s in linear time', async (_name, pattern) => {
      const ctx = context();
      const fn = await ctx.createFunction('async function run() { return 1; }');
      const trigger = await ctx.createTrigger(fn.id, {
        executionType: 'on-demand',
        triggerMetadata: { inputSchema: { type: 'object', properties: { name: { type: 'string', pattern } } } },
      });
      const refused = await ctx.api.post<ErrorBody>(`/function-triggers/${trigger.id}/execute`, { name: evil });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('VALIDATION_ERROR');
    });

    it('refuses a pattern the linear-time engine cannot run (lookahead, backreference), at save', async () => {
      const ctx = context();
      const fn = await ctx.createFunction('async function run() { return 1; }');
      for (const pattern of ['^(?=a)a$', '^(a)\\1$']) {
        const refused = await ctx.api.post<ErrorBody>('/function-triggers', {
          name: 'lookaround',
          functionId: fn.id,
          executionType: 'on-demand',
          triggerMetadata: { inputSchema: { type: 'string', pattern } },
        });
        expect(refused.status).toBe(400);
      }
    });

    it('bounds uniqueItems, so one anonymous webhook with a large array cannot hold the gateway', async () => {
      const ctx = context();
      const fn = await ctx.createFunction('async function run() { return 1; }');
      await ctx.createTrigger(fn.id, {
        executionType: 'webhook',
        triggerMetadata: {
          path: '/hostile/unique',
          inputSchema: { type: 'object', properties: { items: { type: 'array', uniqueItems: true } } },
        },
      });
      await sleep(300);
      const items = Array.from({ length: 60_000 }, (_, i) => ({ i }));
      const sent = await ctx.webhook('/hostile/unique', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items }),
      });
      expect(sent.status).toBe(400);
    });

    it("runs filters' $regex in linear time in the gateway and the router", async () => {
      const ctx = context();
      const filter = { text: { $regex: '^(\\w|\\d)+$' } };
      const fn = await ctx.createFunction('async function run() { return executionParams.data ?? null; }');
      await ctx.createTrigger(fn.id, {
        executionType: 'webhook',
        triggerMetadata: { path: '/hostile/regex', filter: { 'body.text': filter.text } },
      });
      const routed = await ctx.createTrigger(fn.id, {
        executionType: 'event-driven',
        triggerMetadata: { event: 'record_created', recordSlug: 'hostile', filter },
      });
      await sleep(300);
      const sent = await ctx.webhook('/hostile/regex', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'a1'.repeat(20_000) + '!' }),
      });
      expect(sent.status).toBe(200); // filtered out: it does not match
      for (const [recordId, text] of [
        ['evil', 'a1'.repeat(20_000) + '!'],
        ['fine', 'a1b2'],
      ]) {
        const published = await ctx.api.post('/events', {
          event: 'record_created',
          recordSlug: 'hostile',
          recordId,
          data: { text },
        });
        expect(published.status).toBe(202);
      }
      // The event after the hostile one is routed: the router did not stall on it.
      const runs = await waitFor(
        async () => {
          const list = await ctx.api.get<FunctionRunList>(`/function-runs?triggerId=${routed.id}`);
          return list.body.runs.length > 0 ? list.body.runs : undefined;
        },
        30_000,
        'the event after the hostile one to run',
      );
      expect(runs).toHaveLength(1);
      for (const run of runs) ctx.accepted.add(run.jobId);
    });

    it("keeps each tenant's schemas apart: the same $id in two workspaces, and no $ref into another's", async () => {
      const ctx = context();
      const id = 'https://schemas.example.com/order.json';
      const mine = await ctx.createFunction('async function run() { return 1; }');
      const theirs = await ctx.createFunction('async function run() { return 1; }', {}, ctx.other);
      const withId = (required: string) => ({ $id: id, type: 'object', required: [required] });
      const a = await ctx.createTrigger(mine.id, {
        executionType: 'on-demand',
        triggerMetadata: { inputSchema: withId('a') },
      });
      const b = await ctx.createTrigger(
        theirs.id,
        { executionType: 'on-demand', triggerMetadata: { inputSchema: withId('b') } },
        ctx.other,
      );
      expect((await ctx.api.post(`/function-triggers/${a.id}/execute`, { b: 1 })).status).toBe(400);
      const jobId = await ctx.execute(b.id, { b: 1 }, ctx.other).catch(() => null);
      expect(jobId).not.toBeNull();
      // A $ref to the other workspace's $id resolves to nothing.
      const ref = await ctx.other.post<ErrorBody>('/function-triggers', {
        name: 'ref-into-acme',
        functionId: theirs.id,
        executionType: 'on-demand',
        triggerMetadata: { inputSchema: { $ref: id } },
      });
      expect(ref.status).toBe(400);
    });
  });
}
