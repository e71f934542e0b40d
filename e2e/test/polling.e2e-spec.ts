import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { ComputeFunction, FunctionRun, FunctionRunList, FunctionTrigger, PollState } from '@signalbox/contracts';
import { Platform, sleep, testToken, waitFor } from '@signalbox/testing';

import { ApiClient } from './support/http';

/**
 * Polling triggers through the real scheduler-service: a local API whose items change between polls, read
 * with a sealed Authorization header; one run per new item, none repeated after the scheduler is killed and
 * restarted; a failing URL is visible on the trigger and keeps the cursor.
 */
describe('polling triggers', () => {
  let platform: Platform;
  let api: ApiClient;
  let server: Server;
  let url: string;
  let items: Array<{ id: string; title: string }> = [];
  let failing = false;
  const authorizations: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      authorizations.push(String(request.headers.authorization));
      if (request.headers.authorization !== 'Bearer feed-token') {
        response.writeHead(401).end();
        return;
      }
      if (failing) {
        response.writeHead(502).end('upstream down');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { items } }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed`;
    platform = await Platform.start({
      only: ['data-service', 'compute-runtime', 'scheduler-service'],
      env: { FETCH_ALLOWED_HOSTS: '127.0.0.1' },
    });
    api = new ApiClient(
      `${platform.service('data-service').url}/workspace/acme/api/v1`,
      testToken({ workspaces: ['acme'], permissions: ['*'] }),
    );
  });

  afterAll(async () => {
    await platform?.stop();
    server?.close();
  });

  it('runs each new item once, across a scheduler restart, and backs off a failing URL without losing the cursor', async () => {
    const fn = await api.post<ComputeFunction>('/compute-functions', {
      name: `poll-${randomUUID().slice(0, 6)}`,
      code: 'async function run() { return { item: executionParams.itemId, title: executionParams.item.title }; }',
    });
    items = [
      { id: 'a', title: 'old one' },
      { id: 'b', title: 'old two' },
    ];
    const trigger = await api.post<FunctionTrigger>('/function-triggers', {
      name: `feed-${randomUUID().slice(0, 6)}`,
      functionId: fn.body.id,
      executionType: 'polling',
      triggerMetadata: {
        url,
        interval: 10,
        itemsPath: 'data.items',
        idField: 'id',
        headers: { Authorization: { value: 'Bearer feed-token', encrypt: true } },
      },
    });
    expect(trigger.status).toBe(201);
    const id = trigger.body.id;
    const state = () => api.get<PollState>(`/function-triggers/${id}/poll`).then((r) => r.body);
    // A list carries summaries; each run's result is read from the run itself.
    const runItems = async () => {
      const completed = (await api.get<FunctionRunList>(`/function-runs?triggerId=${id}`)).body.runs.filter(
        (run) => run.status === 'completed',
      );
      const runs = await Promise.all(completed.map((run) => api.get<FunctionRun>(`/function-runs/${run.jobId}`)));
      return runs.map((run) => (run.body.result as { item: string }).item).sort();
    };

    // The first poll records what is there and runs nothing.
    await waitFor(async () => ((await state()).initialized ? true : undefined), 20_000, 'first poll');
    expect((await state()).seenIds).toBe(2);
    items.push({ id: 'c', title: 'new' }, { id: 'd', title: 'newer' });
    await waitFor(async () => ((await runItems()).length === 2 ? true : undefined), 25_000, 'runs of c and d');
    expect(await runItems()).toEqual(['c', 'd']);
    expect(authorizations.every((value) => value === 'Bearer feed-token')).toBe(true);

    // kill -9 the scheduler and start it again: c and d are not run again; e is.
    const scheduler = platform.service('scheduler-service');
    await scheduler.stop('SIGKILL');
    scheduler.start();
    await scheduler.waitReady(30_000);
    items.push({ id: 'e', title: 'after the restart' });
    await waitFor(async () => ((await runItems()).length >= 3 ? true : undefined), 30_000, 'the run of e');
    await sleep(1_000);
    expect(await runItems()).toEqual(['c', 'd', 'e']);
    expect((await api.get<FunctionRunList>(`/function-runs?triggerId=${id}`)).body.total).toBe(3);

    // A failing URL is visible on the trigger, backs off, and keeps the cursor.
    failing = true;
    const failed = await waitFor(
      async () => {
        const current = await state();
        return current.consecutiveFailures > 0 ? current : undefined;
      },
      25_000,
      'a failed poll',
    );
    expect(failed).toMatchObject({ seenIds: 5, lastError: `${url} answered 502`, runsStarted: 3 });
    expect(Date.parse(failed.nextPollAt!) - Date.parse(failed.lastPolledAt!)).toBeGreaterThanOrEqual(19_000);
    expect(failed.lastItemIds).toEqual(['a', 'b', 'c', 'd', 'e']);

    const other = await api.get(`/function-triggers/${fn.body.defaultTriggerId}/poll`);
    expect(other.status).toBe(409);
  }, 120_000);
});
