import type { ComputeFunction, FunctionTrigger } from '@signalbox/contracts';
import { Platform, sleep, testToken } from '@signalbox/testing';

import { ApiClient } from './support/http';

/**
 * Workspace quotas (docs/security.md): runs in flight and schedules. No compute-runtime runs here, so the
 * webhook runs the gateway queues stay in EXECUTIONS: exactly what the runs-in-flight quota counts.
 */
describe('workspace quotas', () => {
  let platform: Platform;
  const api = (workspace: string) =>
    new ApiClient(
      `${platform.service('data-service').url}/workspace/${workspace}/api/v1`,
      testToken({ workspaces: [workspace], permissions: ['*'] }),
    );
  const webhook = (workspace: string, path: string) =>
    fetch(`${platform.service('webhook-gateway').url}/workspace/${workspace}/api/v1/webhook${path}`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });

  beforeAll(async () => {
    platform = await Platform.start({
      only: ['data-service', 'webhook-gateway'],
      env: { RUNS_IN_FLIGHT_PER_WORKSPACE: '5', SCHEDULES_PER_WORKSPACE: '2' },
    });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  const setUp = async (workspace: string) => {
    const client = api(workspace);
    const fn = (
      await client.post<ComputeFunction>('/compute-functions', { name: 'q', code: 'async function run() {}' })
    ).body;
    const hook = await client.post<FunctionTrigger>('/function-triggers', {
      name: 'hook',
      functionId: fn.id,
      executionType: 'webhook',
      triggerMetadata: { path: '/q' },
    });
    expect(hook.status).toBe(201);
    return { client, fn };
  };

  it('refuses new runs of a workspace with its quota in flight (429 QUOTA_EXCEEDED), and only of that workspace', async () => {
    const { client, fn } = await setUp('crowded');
    await setUp('quiet');
    await sleep(500); // the gateway's trigger index
    for (let i = 0; i < 5; i++) expect((await webhook('crowded', '/q')).status).toBe(202);
    await sleep(1100); // a count is reused for a second
    const refused = await webhook('crowded', '/q');
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: 'QUOTA_EXCEEDED' } });
    const executed = await client.post<{ error: { code: string; message: string } }>(
      `/function-triggers/${fn.defaultTriggerId}/execute`,
      {},
    );
    expect(executed.status).toBe(429);
    expect(executed.body.error.message).toMatch(/crowded has 5 runs waiting or running/);
    const event = await client.post('/events', { event: 'record_created', recordSlug: 'r', recordId: '1', data: {} });
    expect(event.status).toBe(429);
    expect((await webhook('quiet', '/q')).status).toBe(202);
  });

  it('refuses a schedule over the workspace quota, scheduled or polling', async () => {
    const { client, fn } = await setUp('schedules');
    const create = (executionType: string, triggerMetadata: Record<string, unknown>) =>
      client.post<{ error: { code: string } }>('/function-triggers', {
        name: `s-${Math.random().toString(36).slice(2, 8)}`,
        functionId: fn.id,
        executionType,
        triggerMetadata,
      });
    expect((await create('scheduled', { interval: 60 })).status).toBe(201);
    expect((await create('polling', { url: 'https://93.184.215.14/items', interval: 60 })).status).toBe(201);
    const third = await create('scheduled', { cron: '0 * * * *' });
    expect([third.status, third.body.error.code]).toEqual([429, 'QUOTA_EXCEEDED']);
    expect((await create('polling', { url: 'https://93.184.215.14/more', interval: 60 })).status).toBe(429);
  });
});
