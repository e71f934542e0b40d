import { randomUUID } from 'node:crypto';

import type { ApiKey, ApiKeyList, ComputeFunction } from '@signalbox/contracts';
import { Platform, ServiceProcess, sleep, TEST_JWT_SECRET, testToken } from '@signalbox/testing';

import { ApiClient } from './support/http';

/** A client that sends an API key (`x-api-key`) instead of a bearer token. */
const withKey = (baseUrl: string, key: string) => (method: string, path: string, body?: unknown) =>
  fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

/**
 * API keys and shared rate limits (seed 004) against two data-service replicas on one database: a key works
 * wherever a JWT does, with its scopes; a revoked key is refused at once on both; the execute limit holds
 * across the replicas.
 */
describe('API keys and rate limits', () => {
  let platform: Platform;
  let second: ServiceProcess;
  let api: ApiClient;
  const base = (service: { url: string }) => `${service.url}/workspace/acme/api/v1`;

  beforeAll(async () => {
    const env = { RATE_LIMIT_EXECUTE_PER_MINUTE: '20' };
    platform = await Platform.start({ only: ['data-service', 'compute-runtime'], env });
    second = await ServiceProcess.create('data-service', {
      DATABASE_URL: platform.database.url,
      NATS_URL: platform.nats.url,
      JWT_SECRET: TEST_JWT_SECRET,
      ...env,
    });
    second.start();
    await second.waitReady(30_000);
    api = new ApiClient(base(platform.service('data-service')), testToken({ workspaces: ['acme'], subject: 'alice' }));
  });

  afterAll(async () => {
    await second?.stop();
    await platform?.stop();
  });

  it('creates a key shown once, enforces its scopes and workspace, and refuses it at once when revoked', async () => {
    const created = await api.post<ApiKey>('/api-keys', { name: 'reader', scopes: ['function-triggers:read'] });
    expect(created.status).toBe(201);
    const key = created.body.key!;
    expect(key).toMatch(/^sbk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.body.prefix).toBe(key.slice(0, 16));

    const listed = await api.get<ApiKeyList>('/api-keys');
    expect(listed.body.apiKeys.map((k) => k.id)).toContain(created.body.id);
    expect(JSON.stringify(listed.body)).not.toContain(key);

    const one = withKey(base(platform.service('data-service')), key);
    const two = withKey(base(second), key);
    expect((await one('GET', '/function-triggers')).status).toBe(200);
    expect((await two('GET', '/function-triggers')).status).toBe(200);
    const write = await one('POST', '/compute-functions', { name: 'nope', code: 'async function run() {}' });
    expect(write.status).toBe(403);
    expect(await write.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const otherWorkspace = await fetch(
      `${platform.service('data-service').url}/workspace/globex/api/v1/function-triggers`,
      {
        headers: { 'x-api-key': key },
      },
    );
    expect(otherWorkspace.status).toBe(403);
    expect((await withKey(base(second), `${key.slice(0, -1)}x`)('GET', '/function-triggers')).status).toBe(401);

    // A creator cannot hand out more than it holds, and a key cannot mint keys (they would outlive its revocation).
    const limited = api.as(
      testToken({ workspaces: ['acme'], permissions: ['api-keys:write', 'function-triggers:read'] }),
    );
    const escalate = await limited.post<{ error: { message: string } }>('/api-keys', {
      name: 'everything',
      scopes: ['*'],
    });
    expect(escalate.status).toBe(403);
    expect(escalate.body.error.message).toMatch(/cannot get more than its creator holds: \*/);
    const admin = await api.post<ApiKey>('/api-keys', { name: 'keys', scopes: ['api-keys:write'] });
    const minted = await withKey(base(platform.service('data-service')), admin.body.key!)('POST', '/api-keys', {
      name: 'child',
      scopes: ['api-keys:write'],
    });
    expect(minted.status).toBe(403);
    expect((await api.post('/api-keys', { name: 'bad', scopes: ['records:read'] })).status).toBe(400);

    await sleep(1_100);
    const used = (await api.get<ApiKeyList>('/api-keys')).body.apiKeys.find((k) => k.id === created.body.id);
    expect(used?.lastUsedAt).not.toBeNull();

    expect((await api.delete(`/api-keys/${created.body.id}`)).status).toBe(200);
    expect((await one('GET', '/function-triggers')).status).toBe(401);
    expect((await two('GET', '/function-triggers')).status).toBe(401);
    expect((await api.delete(`/api-keys/${created.body.id}`)).status).toBe(404);

    // Never logged, never answered again.
    expect(platform.service('data-service').logs).not.toContain(key);
    expect(second.logs).not.toContain(key);
    expect(api.bodies.filter((body) => body.includes(key))).toHaveLength(1);
  });

  it('holds the execute limit across two replicas: the 21st call in a minute is refused on either', async () => {
    const fn = await api.post<ComputeFunction>('/compute-functions', {
      name: `limited-${randomUUID().slice(0, 6)}`,
      code: 'async function run() { return 1; }',
    });
    const created = await api.post<ApiKey>('/api-keys', { name: 'executor', scopes: ['function-triggers:execute'] });
    const replicas = [
      withKey(base(platform.service('data-service')), created.body.key!),
      withKey(base(second), created.body.key!),
    ];
    // Stay inside one fixed window: start early in a minute.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 40_000) await sleep(60_000 - intoMinute + 200);

    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 22; i++) {
      last = await replicas[i % 2]('POST', `/function-triggers/${fn.body.defaultTriggerId}/execute`, { i });
      statuses.push(last.status);
      if (i === 0) {
        expect(last.headers.get('ratelimit-limit')).toBe('20');
        expect(last.headers.get('ratelimit-remaining')).toBe('19');
      }
    }
    expect(statuses.slice(0, 20).every((status) => status === 200)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await last!.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });

    // Another caller (alice's token) has its own budget.
    expect((await api.post(`/function-triggers/${fn.body.defaultTriggerId}/execute`, {})).status).toBe(200);
  }, 90_000);
});
