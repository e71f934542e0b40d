import { queryDatabase } from '@signalbox/testing';

import type { HostileContext } from '../support/hostile';

const nested = (levels: number) => `{"a":${'['.repeat(levels)}${']'.repeat(levels)}}`;

/**
 * Class 10 (low) and class 5 (high) at the platform's edges: input shaped to overflow or outgrow what handles
 * it (deep nesting, over-long path parameters, memory the isolate does not count) gets a clear error in the
 * envelope, and no process dies.
 */
export function malformedInput(context: () => HostileContext): void {
  describe('deep nesting, over-long ids, and memory outside the isolate heap', () => {
    it('refuses JSON nested deeper than 100 levels wherever it enters (400 in the envelope), and runs nothing', async () => {
      const ctx = context();
      const fn = await ctx.createFunction('async function run() { return 1; }');
      const onDemand = await ctx.createTrigger(fn.id, { executionType: 'on-demand', triggerMetadata: {} });
      await ctx.createTrigger(fn.id, { executionType: 'webhook', triggerMetadata: { path: '/hostile/deep' } });
      await ctx.createTrigger(fn.id, {
        executionType: 'endpoint',
        triggerMetadata: { path: '/hostile/deep-endpoint', method: 'POST' },
      });
      const [before] = await queryDatabase<{ n: number }>(
        ctx.platform.database.url,
        'SELECT count(*)::int AS n FROM runtime.runs WHERE function_id = $1',
        [fn.id],
      );
      for (const levels of [101, 3_000, 10_000]) {
        const executed = await ctx.api.post<{ error: { code: string; message: string } }>(
          `/function-triggers/${onDemand.id}/execute`,
          nested(levels),
        );
        expect([levels, executed.status, executed.body.error?.code]).toEqual([levels, 400, 'VALIDATION_ERROR']);
        expect(executed.body.error.message).toMatch(/nested deeper than 100 levels/);
        const event = await ctx.api.post<{ error: { code: string } }>(
          '/events',
          `{"event":"record_created","recordSlug":"deep","recordId":"d1","data":${nested(levels)}}`,
        );
        expect([levels, event.status]).toEqual([levels, 400]);
        const hook = await ctx.webhook('/hostile/deep', {
          body: nested(levels),
          headers: { 'content-type': 'application/json' },
        });
        expect([levels, hook.status]).toEqual([levels, 400]);
        const endpoint = await fetch(`${ctx.gateway}/workspace/acme/api/v1/endpoints/hostile/deep-endpoint`, {
          method: 'POST',
          body: nested(levels),
          headers: { 'content-type': 'application/json' },
        });
        expect([levels, endpoint.status]).toEqual([levels, 400]);
        expect(await endpoint.json()).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
      }
      const fine = await ctx.api.post(`/function-triggers/${onDemand.id}/execute`, nested(99));
      expect(fine.status).toBe(200);
      ctx.accepted.add((fine.body as { jobId: string }).jobId);
      const [after] = await queryDatabase<{ n: number }>(
        ctx.platform.database.url,
        'SELECT count(*)::int AS n FROM runtime.runs WHERE function_id = $1',
        [fn.id],
      );
      expect(after.n).toBeLessThanOrEqual(before.n + 1);
    });

    it('answers an over-long id or a URL that does not decode in the envelope, on every service', async () => {
      const ctx = context();
      for (const url of [
        `${ctx.platform.service('data-service').url}/workspace/acme/api/v1/function-triggers/${'a'.repeat(5000)}`,
        `${ctx.platform.service('data-service').url}/workspace/${'w'.repeat(5000)}/api/v1/function-triggers`,
        `${ctx.gateway}/workspace/acme/api/v1/webhook/by-id/${'b'.repeat(5000)}`,
        `${ctx.platform.service('data-service').url}/workspace/acme/api/v1/function-triggers/%E0%A4%A`,
      ]) {
        const response = await fetch(url, { headers: { authorization: 'Bearer x' } });
        // 400 where the router refuses it; the gateway's by-id path falls through to its catch-all route: 404.
        expect([400, 404]).toContain(response.status);
        const body = (await response.json()) as { success: boolean; error: { code: string } };
        expect([body.success, typeof body.error.code]).toEqual([false, 'string']);
      }
    });

    it("gives a 16 MB function no memory its limit does not count, and the runtime's processes stay", async () => {
      const ctx = context();
      const fn = await ctx.createFunction(
        `async function run() {
           const tries = {
             wasm: () => { const m = new WebAssembly.Memory({ initial: 1, maximum: 65536 }); m.grow(8191); new Uint8Array(m.buffer).fill(1); },
             resizable: () => { const b = new ArrayBuffer(1, { maxByteLength: 1 << 30 }); b.resize(512 << 20); new Uint8Array(b).fill(1); },
             growable: () => { const b = new SharedArrayBuffer(1, { maxByteLength: 1 << 30 }); b.grow(512 << 20); },
           };
           const out = {};
           for (const [name, attempt] of Object.entries(tries)) {
             try { attempt(); out[name] = 'allocated'; } catch (error) { out[name] = error.name; }
           }
           return out;
         }`,
        { memoryMb: 16, timeoutMs: 20_000 },
      );
      const trigger = await ctx.createTrigger(fn.id, { executionType: 'on-demand', triggerMetadata: {} });
      const jobId = await ctx.execute(trigger.id);
      await ctx.finished(jobId);
      const run = (await ctx.readRun(jobId)).body;
      expect(run.status).toBe('completed');
      expect(Object.values(run.result as Record<string, string>)).not.toContain('allocated');
    });
  });
}
