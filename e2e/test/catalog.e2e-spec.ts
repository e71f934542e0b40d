import { randomUUID } from 'node:crypto';

import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type { ComputeFunction, FunctionTrigger, FunctionTriggerList, VersionList } from '@signalbox/contracts';
import { Platform, testToken } from '@signalbox/testing';

import { ApiClient } from './support/http';

interface ErrorBody {
  success: false;
  error: { code: string; message: string; details?: Array<{ path: string[]; message: string }> };
}

const SECRET = `sk_live_${randomUUID()}`;
const CODE = 'async function run() {\n  return { success: true };\n}';

describe('data-service: compute functions and function triggers (seed 000)', () => {
  let platform: Platform;
  let api: ApiClient;
  let fn: ComputeFunction;
  const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    platform = await Platform.start({ only: ['data-service'], env: { FUNCTION_CODE_MAX_BYTES: '4096' } });
    api = new ApiClient(
      `${platform.service('data-service').url}/workspace/acme/api/v1`,
      testToken({ workspaces: ['acme'], permissions: ['*'], subject: 'alice' }),
    );
    fn = (await api.post<ComputeFunction>('/compute-functions', { name: 'order-processor', code: CODE })).body;
  });

  afterAll(async () => {
    await platform?.stop();
  });

  const createTrigger = (body: Record<string, unknown>) =>
    api.post<FunctionTrigger>('/function-triggers', { name: unique('t'), functionId: fn.id, ...body });

  describe('compute functions', () => {
    it('creates a function with defaults and a system default on-demand trigger', async () => {
      expect(fn).toMatchObject({
        name: 'order-processor',
        timeoutMs: 30000,
        memoryMb: 128,
        version: 1,
        createdBy: 'alice',
      });
      const system = await api.get<FunctionTrigger>(`/function-triggers/${fn.defaultTriggerId}`);
      expect(system.status).toBe(200);
      expect(system.body).toMatchObject({
        functionId: fn.id,
        executionType: 'on-demand',
        isSystem: true,
        enabled: true,
      });
    });

    it('answers a syntax error with 400, line and column, and stores nothing', async () => {
      const name = unique('broken');
      const response = await api.post<ErrorBody>('/compute-functions', {
        name,
        code: 'async function run() {\n  return {a: 1\n}',
      });
      expect(response.status).toBe(400);
      expect(response.body.error.message).toBe('code has a syntax error: Unexpected token at line 3, column 2');
      const list = await api.get<{ total: number }>(`/compute-functions?search=${name}`);
      expect(list.body.total).toBe(0);
    });

    it('answers code over the size limit with 413', async () => {
      const response = await api.post<ErrorBody>('/compute-functions', {
        name: unique('big'),
        code: `async function run() { return "${'x'.repeat(5000)}"; }`,
      });
      expect(response.status).toBe(413);
      expect(response.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('refuses a duplicate name with 409', async () => {
      const response = await api.post<ErrorBody>('/compute-functions', { name: 'order-processor', code: CODE });
      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe('CONFLICT');
    });

    it('updates partially, keeps a version per change, and lists with search and paging', async () => {
      const created = (await api.post<ComputeFunction>('/compute-functions', { name: unique('report'), code: CODE }))
        .body;
      const updated = await api.put<ComputeFunction>(`/compute-functions/${created.id}`, { timeoutMs: 5000 });
      expect(updated.body).toMatchObject({ timeoutMs: 5000, version: 2, code: CODE });
      const versions = await api.get<VersionList>(`/compute-functions/${created.id}/versions`);
      expect(versions.body.versions.map((v) => [v.version, v.change, v.changedBy])).toEqual([
        [2, 'updated', 'alice'],
        [1, 'created', 'alice'],
      ]);
      const page = await api.get<{ functions: ComputeFunction[]; total: number; page: number; limit: number }>(
        `/compute-functions?search=${created.name}&limit=1&page=1`,
      );
      expect(page.body).toMatchObject({ total: 1, page: 1, limit: 1 });
      expect(page.body.functions[0]?.id).toBe(created.id);
    });

    it('keeps the latest 100 versions of a function and of a trigger', async () => {
      const created = (await api.post<ComputeFunction>('/compute-functions', { name: unique('many'), code: CODE }))
        .body;
      const trigger = (
        await api.post<FunctionTrigger>('/function-triggers', {
          name: unique('many'),
          functionId: created.id,
          executionType: 'on-demand',
        })
      ).body;
      for (let n = 0; n < 104; n++) {
        expect((await api.put(`/compute-functions/${created.id}`, { description: `v${n}` })).status).toBe(200);
        expect((await api.put(`/function-triggers/${trigger.id}`, { description: `v${n}` })).status).toBe(200);
      }
      for (const path of [`/compute-functions/${created.id}`, `/function-triggers/${trigger.id}`]) {
        const { versions, total } = (await api.get<VersionList>(`${path}/versions`)).body;
        expect(total).toBe(100);
        expect(versions[0].version).toBe(105);
        expect(versions.at(-1)!.version).toBe(6);
      }
    });

    it('refuses to delete a function that triggers use, naming them; deletes it once they are gone', async () => {
      const created = (await api.post<ComputeFunction>('/compute-functions', { name: unique('doomed'), code: CODE }))
        .body;
      const trigger = (
        await api.post<FunctionTrigger>('/function-triggers', {
          name: unique('user'),
          functionId: created.id,
          executionType: 'on-demand',
        })
      ).body;

      const refused = await api.delete<ErrorBody>(`/compute-functions/${created.id}`);
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toContain(trigger.name);

      expect((await api.delete(`/function-triggers/${trigger.id}`)).status).toBe(200);
      expect((await api.delete(`/compute-functions/${created.id}`)).body).toEqual({ id: created.id, deleted: true });
      expect((await api.get(`/compute-functions/${created.id}`)).status).toBe(404);
      expect((await api.get(`/function-triggers/${created.defaultTriggerId}`)).status).toBe(404);
    });
  });

  describe('creating triggers of every type', () => {
    it.each([
      ['on-demand', { params: { format: 'csv', includeArchived: false } }],
      ['event-driven', { event: 'record_created', recordSlug: 'orders', params: { notifyWarehouse: true } }],
      ['scheduled', { interval: 86400, params: { reportType: 'sales_summary' } }],
      ['scheduled', { cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' }],
      [
        'webhook',
        {
          path: `/webhooks/${randomUUID()}`,
          params: { provider: 'stripe', validateSignature: true, signingSecret: { value: 'whsec_abc', encrypt: true } },
        },
      ],
      ['endpoint', { path: `/quote-${randomUUID()}`, method: 'POST', timeoutMs: 10000 }],
      ['polling', { url: 'https://api.example.com/items', interval: 60, itemsPath: 'items', idField: 'id' }],
    ])('creates a %s trigger with the seed response shape', async (executionType, triggerMetadata) => {
      const response = await createTrigger({ description: 'd', executionType, triggerMetadata });
      expect(response.status).toBe(201);
      expect(Object.keys(response.body).sort()).toEqual(
        [
          'id',
          'name',
          'description',
          'functionId',
          'executionType',
          'triggerMetadata',
          'workspaceSlug',
          'createdBy',
          'updatedBy',
          'createdAt',
          'updatedAt',
          'enabled',
          'version',
          'isSystem',
        ].sort(),
      );
      expect(response.body).toMatchObject({
        executionType,
        workspaceSlug: 'acme',
        createdBy: 'alice',
        enabled: true,
        version: 1,
        isSystem: false,
      });
    });

    it.each([
      [
        'event-driven',
        { recordSlug: 'orders', event: 'record_made' },
        'Supported events: record_created, record_updated, record_deleted, record_restored, record_reverted, record_create_failed, record_updated_failed, record_deleted_failed',
      ],
      ['event-driven', { event: 'record_created' }, 'triggerMetadata.recordSlug is required for event-driven triggers'],
      ['scheduled', { interval: 0 }, 'triggerMetadata.interval must be a positive integer (seconds)'],
      [
        'scheduled',
        {},
        'triggerMetadata.interval (seconds) or triggerMetadata.cron is required for scheduled triggers',
      ],
      ['webhook', {}, 'triggerMetadata.path is required for webhook triggers'],
      [
        'endpoint',
        { path: '/x', timeoutMs: 60000 },
        'triggerMetadata.timeoutMs must be a positive integer of at most 30000',
      ],
      ['polling', { interval: 60 }, 'triggerMetadata.url is required for polling triggers'],
      [
        'on-demand',
        { interval: 5 },
        'triggerMetadata.interval is not allowed for on-demand triggers (allowed: params, inputSchema)',
      ],
    ])('answers 400 for a bad %s trigger and stores nothing', async (executionType, triggerMetadata, message) => {
      const name = unique('bad');
      const response = await api.post<ErrorBody>('/function-triggers', {
        name,
        functionId: fn.id,
        executionType,
        triggerMetadata,
      });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR', message } });
      expect((await api.get<FunctionTriggerList>(`/function-triggers?search=${name}`)).body.total).toBe(0);
    });

    it.each([
      [{ executionType: 'on-demand' }, 'name is required'],
      [{ name: 'x', executionType: 'cron-job' }, 'executionType'],
      [{ name: 'x', executionType: 'on-demand', functionId: 'not-a-uuid' }, 'functionId must match format "uuid"'],
      [{ name: 'x', executionType: 'on-demand', color: 'red' }, 'color is not a known field'],
    ])('answers 400 for a malformed body %j', async (body, message) => {
      const response = await api.post<ErrorBody>('/function-triggers', { functionId: fn.id, ...body });
      expect(response.status).toBe(400);
      expect(response.body.error.message).toContain(message);
    });

    it('refuses a function of another workspace', async () => {
      const response = await api.post<ErrorBody>('/function-triggers', {
        name: unique('x'),
        functionId: randomUUID(),
        executionType: 'on-demand',
      });
      expect(response.status).toBe(400);
      expect(response.body.error.details?.[0]?.path).toEqual(['functionId']);
    });

    it('answers 409 to a duplicate name, and exactly one of ten racing creates wins', async () => {
      const name = unique('race');
      const responses = await Promise.all(
        Array.from({ length: 10 }, () =>
          api.post('/function-triggers', { name, functionId: fn.id, executionType: 'on-demand' }),
        ),
      );
      expect(responses.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
      const conflict = responses.find((r) => r.status === 409)!.body as unknown as ErrorBody;
      expect(conflict.error).toMatchObject({ code: 'CONFLICT', message: 'Trigger with this name already exists' });
    });

    it('answers 409 to a second webhook on the same path', async () => {
      const path = `/hooks/${randomUUID()}`;
      expect((await createTrigger({ executionType: 'webhook', triggerMetadata: { path } })).status).toBe(201);
      const second = await createTrigger({ executionType: 'webhook', triggerMetadata: { path } });
      expect(second.status).toBe(409);
    });
  });

  describe('reading, updating and deleting', () => {
    let trigger: FunctionTrigger;

    beforeAll(async () => {
      trigger = (
        await createTrigger({ executionType: 'scheduled', triggerMetadata: { interval: 60, params: { a: 1 } } })
      ).body;
    });

    it('updates partially and keeps the rest, with a version row per change', async () => {
      const updated = await api.put<FunctionTrigger>(`/function-triggers/${trigger.id}`, {
        description: 'hourly now',
        triggerMetadata: { interval: 3600 },
      });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({
        description: 'hourly now',
        version: 2,
        triggerMetadata: { interval: 3600, params: { a: 1 } },
      });
      const disabled = await api.post<FunctionTrigger>(`/function-triggers/${trigger.id}/disable`);
      expect(disabled.body).toMatchObject({ enabled: false, version: 3 });
      const enabled = await api.post<FunctionTrigger>(`/function-triggers/${trigger.id}/enable`);
      expect(enabled.body).toMatchObject({ enabled: true, version: 4 });
      const versions = (await api.get<VersionList>(`/function-triggers/${trigger.id}/versions`)).body;
      expect(versions.versions.map((v) => v.change)).toEqual(['enabled', 'disabled', 'updated', 'created']);
      expect(versions.versions[2]?.snapshot).toMatchObject({ description: 'hourly now', version: 2 });
    });

    it('refuses to change the executionType and an invalid merged result', async () => {
      const typeChange = await api.put<ErrorBody>(`/function-triggers/${trigger.id}`, { executionType: 'on-demand' });
      expect(typeChange.status).toBe(400);
      expect(typeChange.body.error.message).toBe(
        'executionType cannot be changed; delete the trigger and create a new one',
      );
      const invalid = await api.put<ErrorBody>(`/function-triggers/${trigger.id}`, {
        triggerMetadata: { interval: -1 },
      });
      expect(invalid.status).toBe(400);
      expect(
        (await api.get<FunctionTrigger>(`/function-triggers/${trigger.id}`)).body.triggerMetadata['interval'],
      ).toBe(3600);
    });

    it('protects the system default trigger', async () => {
      for (const response of [
        await api.put<ErrorBody>(`/function-triggers/${fn.defaultTriggerId}`, { description: 'x' }),
        await api.delete<ErrorBody>(`/function-triggers/${fn.defaultTriggerId}`),
        await api.post<ErrorBody>(`/function-triggers/${fn.defaultTriggerId}/disable`),
      ]) {
        expect(response.status).toBe(409);
        expect(response.body.error.message).toMatch(/^the system default trigger cannot be/);
      }
    });

    it('deletes, then answers 404', async () => {
      const doomed = (await createTrigger({ executionType: 'on-demand' })).body;
      expect((await api.delete(`/function-triggers/${doomed.id}`)).body).toEqual({ id: doomed.id, deleted: true });
      const gone = await api.get<ErrorBody>(`/function-triggers/${doomed.id}`);
      expect(gone.status).toBe(404);
      expect(gone.body.error.code).toBe('NOT_FOUND');
    });
  });

  describe('listing', () => {
    const prefix = unique('list');

    beforeAll(async () => {
      for (const name of ['charlie', 'alpha', 'bravo']) {
        await createTrigger({ name: `${prefix}-${name}`, executionType: 'on-demand', description: `about ${name}` });
      }
    });

    it('defaults to limit 500, page 1', async () => {
      const response = await api.get<FunctionTriggerList>('/function-triggers');
      expect(response.body).toMatchObject({ page: 1, limit: 500 });
      expect(response.body.triggers.length).toBe(response.body.total);
    });

    it('searches, sorts by a JSON array and pages', async () => {
      const sort = encodeURIComponent(JSON.stringify([{ field: 'name', direction: 'asc' }]));
      const first = await api.get<FunctionTriggerList>(
        `/function-triggers?search=${prefix}&sort=${sort}&limit=2&page=1`,
      );
      const second = await api.get<FunctionTriggerList>(
        `/function-triggers?search=${prefix}&sort=${sort}&limit=2&page=2`,
      );
      expect(first.body.total).toBe(3);
      expect([...first.body.triggers, ...second.body.triggers].map((t) => t.name)).toEqual(
        ['alpha', 'bravo', 'charlie'].map((n) => `${prefix}-${n}`),
      );
      const byDescription = await api.get<FunctionTriggerList>(
        `/function-triggers?search=about%20bravo&searchField=description`,
      );
      expect(byDescription.body.triggers.map((t) => t.name)).toEqual([`${prefix}-bravo`]);
    });

    it('answers 400 to unknown sort or search fields and bad paging', async () => {
      for (const query of [
        'sort=%5B%7B%22field%22%3A%22code%22%7D%5D',
        'searchField=secret&search=x',
        'page=0',
        'limit=abc',
        'colour=red',
      ]) {
        const response = await api.get<ErrorBody>(`/function-triggers?${query}`);
        expect(response.status).toBe(400);
        expect(response.body.error.code).toBe('VALIDATION_ERROR');
      }
    });
  });

  describe('drafts', () => {
    it('keeps a loose draft, and publishing validates fully, keeps the id and consumes the draft', async () => {
      const draft = await api.post<{ id: string; name: string }>('/function-triggers/drafts', {
        name: unique('nightly'),
      });
      expect(draft.status).toBe(201);
      expect((await api.get(`/function-triggers/drafts/${draft.body.id}`)).status).toBe(200);

      const incomplete = await api.post<ErrorBody>(`/function-triggers/${draft.body.id}/publish`);
      expect(incomplete.status).toBe(400);
      expect(incomplete.body.error.message).toBe('functionId is required');

      await api.put(`/function-triggers/drafts/${draft.body.id}`, {
        functionId: fn.id,
        executionType: 'scheduled',
        triggerMetadata: { interval: 86400, params: { token: { value: SECRET, encrypt: true } } },
      });
      const published = await api.post<FunctionTrigger>(`/function-triggers/${draft.body.id}/publish`);
      expect(published.status).toBe(201);
      expect(published.body).toMatchObject({ id: draft.body.id, name: draft.body.name, executionType: 'scheduled' });
      expect((await api.get(`/function-triggers/drafts/${draft.body.id}`)).status).toBe(404);
      expect((await api.post(`/function-triggers/${draft.body.id}/publish`)).status).toBe(404);
      const drafts = await api.get<{ drafts: unknown[] }>('/function-triggers/drafts');
      expect(drafts.status).toBe(200);
    });
  });

  describe('permissions and workspaces', () => {
    it('lets a reader read but not write', async () => {
      const reader = api.as(testToken({ workspaces: ['acme'], permissions: ['function-triggers:read'] }));
      expect((await reader.get('/function-triggers')).status).toBe(200);
      const write = await reader.post<ErrorBody>('/function-triggers', {
        name: 'x',
        functionId: fn.id,
        executionType: 'on-demand',
      });
      expect(write.status).toBe(403);
      expect(write.body.error).toEqual({ code: 'FORBIDDEN', message: 'missing permission function-triggers:write' });
      expect((await reader.get('/compute-functions')).status).toBe(403);
    });

    it("answers 404 for another workspace's trigger and function", async () => {
      const trigger = (await createTrigger({ executionType: 'on-demand' })).body;
      const other = new ApiClient(
        `${platform.service('data-service').url}/workspace/globex/api/v1`,
        testToken({ workspaces: ['globex'], permissions: ['*'] }),
      );
      expect((await other.get(`/function-triggers/${trigger.id}`)).status).toBe(404);
      expect((await other.put(`/function-triggers/${trigger.id}`, { description: 'x' })).status).toBe(404);
      expect((await other.delete(`/function-triggers/${trigger.id}`)).status).toBe(404);
      expect((await other.get(`/compute-functions/${fn.id}`)).status).toBe(404);
      expect((await other.get<FunctionTriggerList>('/function-triggers')).body.total).toBe(0);
    });
  });

  describe('secret params', () => {
    it('seals on write, returns only the sealed form, and never logs the plaintext', async () => {
      const created = await createTrigger({
        executionType: 'event-driven',
        triggerMetadata: {
          event: 'record_created',
          recordSlug: 'customers',
          params: { emailServiceApiKey: { value: SECRET, encrypt: true }, template: 'welcome' },
        },
      });
      expect(created.status).toBe(201);
      const fetched = await api.get<FunctionTrigger>(`/function-triggers/${created.body.id}`);
      const params = fetched.body.triggerMetadata['params'] as Record<string, unknown>;
      expect(params['template']).toBe('welcome');
      expect(params['emailServiceApiKey']).toEqual({ value: expect.any(String), encrypted: true, keyVersion: 1 });
      const versions = await api.get(`/function-triggers/${created.body.id}/versions`);
      expect(versions.status).toBe(200);

      expect(api.bodies.join('\n')).not.toContain(SECRET);
      expect(platform.service('data-service').logs).not.toContain(SECRET);
    });
  });

  describe('execution-plane config', () => {
    it('publishes every committed change to the KV buckets and heals a lost publish at start', async () => {
      const trigger = (await createTrigger({ executionType: 'on-demand' })).body;
      const nc = await connect({ servers: platform.nats.url });
      try {
        const triggers = await new Kvm(nc).open('triggers');
        const functions = await new Kvm(nc).open('functions');
        const key = `acme.${trigger.id}`;
        expect((await triggers.get(key))?.json()).toMatchObject({ id: trigger.id, version: 1, enabled: true });
        expect((await functions.get(`acme.${fn.id}`))?.json()).toMatchObject({ code: CODE });

        await api.post(`/function-triggers/${trigger.id}/disable`);
        expect((await triggers.get(key))?.json()).toMatchObject({ version: 2, enabled: false });

        await triggers.delete(key); // as if the process had died between commit and publish
        const service = platform.service('data-service');
        expect(await service.stop('SIGTERM')).toBe(0);
        service.start();
        await service.waitReady();
        for (let i = 0; i < 50 && (await triggers.get(key))?.operation !== 'PUT'; i++)
          await new Promise((r) => setTimeout(r, 100));
        expect((await triggers.get(key))?.json()).toMatchObject({ id: trigger.id, version: 2, enabled: false });

        await api.delete(`/function-triggers/${trigger.id}`);
        expect((await triggers.get(key))?.operation).toBe('DEL');
      } finally {
        await nc.close();
      }
    });
  });

  describe('OpenAPI', () => {
    it('serves the document with every route, and the UI', async () => {
      const base = platform.service('data-service').url;
      const document = (await (await fetch(`${base}/docs-json`)).json()) as {
        paths: Record<string, Record<string, unknown>>;
      };
      const prefix = '/workspace/{workspace}/api/v1';
      const expected: Array<[string, string[]]> = [
        ['/compute-functions', ['get', 'post']],
        ['/compute-functions/{id}', ['delete', 'get', 'put']],
        ['/compute-functions/{id}/versions', ['get']],
        ['/function-triggers', ['get', 'post']],
        ['/function-triggers/{id}', ['delete', 'get', 'put']],
        ['/function-triggers/{id}/enable', ['post']],
        ['/function-triggers/{id}/disable', ['post']],
        ['/function-triggers/{id}/versions', ['get']],
        ['/function-triggers/{draftId}/publish', ['post']],
        ['/function-triggers/drafts', ['get', 'post']],
        ['/function-triggers/drafts/{id}', ['delete', 'get', 'put']],
      ];
      for (const [path, methods] of expected) {
        expect(Object.keys(document.paths[`${prefix}${path}`] ?? {}).sort()).toEqual(methods);
      }
      const create = document.paths[`${prefix}/function-triggers`]?.['post'] as { responses: Record<string, unknown> };
      expect(Object.keys(create.responses).sort()).toEqual(['201', '400', '401', '403', '409', '413', '429']);
      const ui = await fetch(`${base}/docs`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toContain('swagger');
    });
  });
});
