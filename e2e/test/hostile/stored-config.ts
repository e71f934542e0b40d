import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { configKey, type FunctionTrigger, KvBuckets } from '@signalbox/contracts';
import { queryDatabase, sleep } from '@signalbox/testing';

import type { HostileContext } from '../support/hostile';

/** Everything stored for a trigger, as text: its row, its versions, its drafts and its KV entry. */
async function storedText(ctx: HostileContext, triggerId: string): Promise<string> {
  const [row] = await queryDatabase<{ t: string | null }>(
    ctx.platform.database.url,
    `SELECT coalesce((SELECT trigger_metadata::text FROM data.function_triggers WHERE id = $1), '') ||
            coalesce((SELECT string_agg(snapshot::text, '') FROM data.function_trigger_versions WHERE trigger_id = $1), '') ||
            coalesce((SELECT trigger_metadata::text FROM data.function_trigger_drafts WHERE id = $1), '') AS t`,
    [triggerId],
  );
  const nc = await connect({ servers: ctx.platform.nats.url });
  try {
    const kv = await new Kvm(nc).open(KvBuckets.triggers.bucket);
    const entry = await kv.get(configKey('acme', triggerId));
    return `${row?.t ?? ''}${entry?.operation === 'PUT' ? entry.string() : ''}`;
  } finally {
    await nc.close();
  }
}

/**
 * Classes 6 and 7 (high): secrets stored in plain text when nested or set on a draft, and trigger configs
 * too large for the KV bucket that the execution plane reads.
 */
export function storedConfig(context: () => HostileContext): void {
  describe('secret params at any depth, and configs the execution plane can hold', () => {
    it('seals secrets nested in objects and arrays everywhere they are kept, and opens them only for the run', async () => {
      const ctx = context();
      const fn = await ctx.createFunction(
        `async function run() {
           const p = triggerParams;
           return { db: p.db.password === 'pw-nested-1', host: p.db.host, first: p.keys[0] === 'k0-nested',
                    deep: p.keys[2].deeper[0].token === 'tok-nested', plain: p.keys[1] };
         }`,
      );
      const trigger = await ctx.createTrigger(fn.id, {
        executionType: 'on-demand',
        triggerMetadata: {
          params: {
            db: { host: 'db.internal', password: { value: 'pw-nested-1', encrypt: true } },
            keys: [
              { value: 'k0-nested', encrypt: true },
              'plain',
              { deeper: [{ value: { token: 'tok-nested' }, encrypt: true }] },
            ],
          },
        },
      });
      await ctx.api.put(`/function-triggers/${trigger.id}`, { description: 'a new version' });
      const reads = [
        JSON.stringify(trigger),
        JSON.stringify((await ctx.api.get(`/function-triggers/${trigger.id}`)).body),
        JSON.stringify((await ctx.api.get(`/function-triggers/${trigger.id}/versions`)).body),
        await storedText(ctx, trigger.id),
      ];
      for (const text of reads) expect(text).not.toMatch(/pw-nested-1|k0-nested|tok-nested/);

      const jobId = await ctx.execute(trigger.id);
      await ctx.finished(jobId);
      const run = (await ctx.readRun(jobId)).body;
      expect(run.result).toEqual({ db: true, host: 'db.internal', first: true, deep: true, plain: 'plain' });
    });

    it("seals a draft's signing secret set by PUT, and an endpoint trigger's, sent as plain strings", async () => {
      const ctx = context();
      const draft = await ctx.api.post<{ id: string }>('/function-triggers/drafts', {
        executionType: 'webhook',
        triggerMetadata: { path: '/hostile/draft-secret' },
      });
      expect(draft.status).toBe(201);
      const put = await ctx.api.put(`/function-triggers/drafts/${draft.body.id}`, {
        triggerMetadata: { params: { signingSecret: 'whsec_draft_plain_1' } },
      });
      expect(put.status).toBe(200);
      expect(JSON.stringify(put.body)).not.toContain('whsec_draft_plain_1');
      expect(await storedText(ctx, draft.body.id)).not.toContain('whsec_draft_plain_1');

      const fn = await ctx.createFunction('async function run() { return { status: 200, body: "ok" }; }');
      const endpoint = await ctx.createTrigger(fn.id, {
        executionType: 'endpoint',
        triggerMetadata: { path: '/hostile/endpoint-secret', method: 'POST', params: { signingSecret: 'whsec_ep_1' } },
      });
      expect(JSON.stringify(endpoint)).not.toContain('whsec_ep_1');
      expect(await storedText(ctx, endpoint.id)).not.toContain('whsec_ep_1');
    });

    it('refuses (413) a trigger whose stored config the execution plane could not hold, and keeps nothing of it', async () => {
      const ctx = context();
      const fn = await ctx.createFunction('async function run() { return 1; }');
      const name = `too-large-${Math.random().toString(36).slice(2, 8)}`;
      // Both bodies (790 and 801 KB) are under the 1 MiB body limit; sealed (base64 and more) they no longer fit in
      // one NATS message.
      for (const params of [
        { big: { value: 'x'.repeat(790_000), encrypt: true } },
        { many: Array.from({ length: 20 }, (_, i) => ({ value: String(i % 10).repeat(40_000), encrypt: true })) },
      ]) {
        const created = await ctx.api.post<{ error: { code: string; message: string } }>('/function-triggers', {
          name,
          functionId: fn.id,
          executionType: 'on-demand',
          triggerMetadata: { params },
        });
        expect(created.status).toBe(413);
        expect(created.body.error.code).toBe('PAYLOAD_TOO_LARGE');
        // The refusal is the execution plane's, not the body limit's (a body over it races the server's close).
        expect(created.body.error.message).toMatch(/execution plane takes at most/);
      }
      const small = await ctx.createTrigger(fn.id, { executionType: 'on-demand', triggerMetadata: {} });
      const grown = await ctx.api.put<{ error: { code: string; message: string } }>(`/function-triggers/${small.id}`, {
        triggerMetadata: { params: { big: { value: 'x'.repeat(790_000), encrypt: true } } },
      });
      expect(grown.status).toBe(413);
      expect(grown.body.error.message).toMatch(/execution plane takes at most/);
      const [row] = await queryDatabase<{ n: number; version: number }>(
        ctx.platform.database.url,
        `SELECT (SELECT count(*)::int FROM data.function_triggers WHERE name = $1) AS n,
                (SELECT version FROM data.function_triggers WHERE id = $2) AS version`,
        [name, small.id],
      );
      expect(row).toEqual({ n: 0, version: 1 });
    });

    it('fails a run whose trigger the execution plane does not hold, instead of running it without its params', async () => {
      const ctx = context();
      const fn = await ctx.createFunction('async function run() { return { key: triggerParams.apiKey ?? null }; }');
      const trigger: FunctionTrigger = await ctx.createTrigger(fn.id, {
        executionType: 'on-demand',
        triggerMetadata: { params: { apiKey: { value: 'sk-live', encrypt: true } } },
      });
      await sleep(300);
      const nc = await connect({ servers: ctx.platform.nats.url });
      try {
        await (await new Kvm(nc).open(KvBuckets.triggers.bucket)).delete(configKey('acme', trigger.id));
      } finally {
        await nc.close();
      }
      await sleep(300);
      const jobId = await ctx.execute(trigger.id);
      expect(await ctx.finished(jobId)).toEqual({ status: 'failed' });
      const run = (await ctx.readRun(jobId)).body;
      expect(run.error?.name).toBe('TriggerNotFound');
    });
  });
}
