import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { connect } from '@nats-io/transport-node';
import { Platform, testToken, waitFor } from '@signalbox/testing';

import { Signalbox, SignalboxError, verifyWebhook } from '../src/index.js';
import { publishRecordEvent } from '../src/nats.js';

const CLI = join(__dirname, '..', 'bin', 'signalbox.js');
const run = promisify(execFile);

/** The SDK and its CLI against a whole platform, as a user's code and a user's terminal meet it. */
describe('@signalbox/sdk against the platform', () => {
  let platform: Platform;
  let baseUrl: string;
  let client: Signalbox;
  const token = testToken({ workspaces: ['acme'], permissions: ['*'], subject: 'sdk' });

  beforeAll(async () => {
    platform = await Platform.start({ env: { FETCH_ALLOW_PRIVATE_NETWORKS: 'true' } });
    baseUrl = platform.service('data-service').url;
    client = new Signalbox({ baseUrl, workspace: 'acme', token });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  const name = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

  it('creates a function and a typed trigger, executes it and waits for the run, with its logs', async () => {
    const fn = await client.functions.create({
      name: name('double'),
      code: 'async function run() { api.log("doubling", executionParams.n); return { doubled: executionParams.n * 2 }; }',
    });
    const trigger = await client.triggers.create({
      name: name('double-now'),
      functionId: fn.id,
      executionType: 'on-demand',
      triggerMetadata: { inputSchema: { type: 'object', required: ['n'] } },
    });
    expect(trigger.executionType).toBe('on-demand');

    const { jobId } = await client.triggers.execute(trigger.id, { n: 21 });
    const finished = await client.runs.waitFor(jobId, { timeoutMs: 30_000 });
    expect(finished).toMatchObject({ jobId, status: 'completed', result: { doubled: 42 } });
    expect((await client.runs.logs(jobId)).logs.map((line) => line.args)).toEqual([['doubling', 21]]);
  });

  it('waits for a run by following the live stream, not by looking again and again', async () => {
    const fn = await client.functions.create({
      name: name('slowish'),
      code: 'async function run() { const end = Date.now() + 300; while (Date.now() < end) {} return "done"; }',
    });
    const { jobId } = await client.triggers.execute(fn.defaultTriggerId, {});
    // One look finds it running. Without the stream the next look would come after 20 s, and the stream's own
    // safety look after 5 s: both past the timeout, so only the stream's announcement can answer in time.
    const run = await client.runs.waitFor(jobId, { intervalMs: 20_000, timeoutMs: 5_000 });
    expect(run).toMatchObject({ status: 'completed', result: 'done' });
  });

  it("throws the server's error typed, with its details: an invalid body, a bad token, another workspace", async () => {
    const invalid = await client.triggers
      .create({ name: 'x', functionId: randomUUID(), executionType: 'scheduled', triggerMetadata: { cron: 'never' } })
      .catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(SignalboxError);
    expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' });
    expect((invalid as SignalboxError).details.map((d) => d.path.join('.'))).toContain('triggerMetadata.cron');

    const badToken = new Signalbox({ baseUrl, workspace: 'acme', token: 'not-a-jwt' });
    await expect(badToken.functions.get(randomUUID())).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    const elsewhere = new Signalbox({ baseUrl, workspace: 'globex', token });
    await expect(elsewhere.functions.get(randomUUID())).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('authenticates with an API key as well, and reaches any route through the raw typed client', async () => {
    const { data, error } = await client.api.POST('/workspace/{workspace}/api/v1/api-keys', {
      params: { path: { workspace: 'acme' } },
      body: { name: name('ci'), scopes: ['compute-functions:read'] },
    });
    expect(error).toBeUndefined();
    const withKey = new Signalbox({ baseUrl, workspace: 'acme', apiKey: data?.key ?? '' });
    const fn = await client.functions.create({ name: name('keyed'), code: 'async function run() {}' });
    expect((await withKey.functions.get(fn.id)).name).toBe(fn.name);
    await expect(
      withKey.functions.create({ name: name('nope'), code: 'async function run() {}' }),
    ).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('never starts two runs when an execute is retried after its answer was lost', async () => {
    const fn = await client.functions.create({ name: name('once'), code: 'async function run() { return 1; }' });
    const trigger = await client.triggers.create({ name: name('once'), functionId: fn.id, executionType: 'on-demand' });
    let dropped = 0;
    // The first answer to an execute is lost on the way back, after the server has done the work.
    const losing: typeof fetch = async (input, init) => {
      const answer = await fetch(input, init);
      const request = input instanceof Request ? input : new Request(input, init);
      if (request.url.endsWith('/execute') && dropped++ === 0) throw new TypeError('socket hang up');
      return answer;
    };
    const flaky = new Signalbox({ baseUrl, workspace: 'acme', token, fetch: losing });

    const { jobId } = await flaky.triggers.execute(trigger.id, { n: 1 });
    expect(dropped).toBe(2);
    await client.runs.waitFor(jobId);
    const runs = [];
    for await (const summary of client.runs.list({ triggerId: trigger.id })) runs.push(summary.jobId);
    expect(runs).toEqual([jobId]);
  });

  it('lists every item, page after page', async () => {
    const prefix = name('paged');
    for (let i = 0; i < 7; i++)
      await client.functions.create({ name: `${prefix}-${i}`, code: 'async function run() {}' });
    const names = [];
    for await (const fn of client.functions.list({ search: prefix, searchField: 'name', limit: 3 }))
      names.push(fn.name);
    expect(names.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `${prefix}-${i}`));
  });

  it('publishes record events over NATS, checked first, once per eventId', async () => {
    const fn = await client.functions.create({
      name: name('on-order'),
      code: 'async function run() { return executionParams.recordId; }',
    });
    const trigger = await client.triggers.create({
      name: name('on-order'),
      functionId: fn.id,
      executionType: 'event-driven',
      triggerMetadata: { event: 'record_created', recordSlug: 'orders' },
    });
    const nc = await connect({ servers: platform.nats.url });
    try {
      const event = {
        event: 'record_created',
        workspaceSlug: 'acme',
        recordSlug: 'orders',
        recordId: 'o-1',
        data: { total: 5 },
      } as const;
      await expect(publishRecordEvent(nc, { ...event, recordSlug: 'no spaces' })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        details: [expect.objectContaining({ path: ['recordSlug'] })],
      });
      const first = await publishRecordEvent(nc, event);
      expect(first).toMatchObject({ subject: 'records.acme.orders.record_created', duplicate: false });
      expect(await publishRecordEvent(nc, { ...event, eventId: first.eventId })).toMatchObject({ duplicate: true });

      const started = await waitFor(
        async () => {
          const runs = [];
          for await (const summary of client.runs.list({ triggerId: trigger.id })) runs.push(summary);
          return runs.length > 0 && runs.every((r) => r.status === 'completed') ? runs : undefined;
        },
        30_000,
        'the run of the event',
      );
      expect(started).toHaveLength(1);
    } finally {
      await nc.close();
    }
  });

  it('verifies the outbound webhooks the gateway sends, and refuses a changed body', async () => {
    const received: Array<{ body: string; headers: IncomingHttpHeaders }> = [];
    const server: Server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: request.headers });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const secret = `whsec_${Buffer.from(randomUUID()).toString('base64')}`;
      await client.webhooks.create({ name: name('hook'), url, events: ['function.completed'], secret });
      const fn = await client.functions.create({ name: name('announced'), code: 'async function run() { return 7; }' });
      const trigger = await client.triggers.create({
        name: name('announced'),
        functionId: fn.id,
        executionType: 'on-demand',
      });
      await client.triggers.execute(trigger.id, {});

      const delivery = await waitFor(() => Promise.resolve(received[0]), 30_000, 'a delivery');
      const verified = await verifyWebhook(delivery.body, delivery.headers, secret);
      expect(verified).toMatchObject({ event: 'function.completed', id: delivery.headers['webhook-id'] });
      await expect(verifyWebhook(delivery.body.replace('7', '8'), delivery.headers, secret)).rejects.toMatchObject({
        code: 'INVALID_SIGNATURE',
      });
    } finally {
      server.close();
    }
  });

  describe('the signalbox CLI', () => {
    const cli = (args: string[], env: Record<string, string> = {}) =>
      run(process.execPath, [CLI, ...args], {
        env: { ...process.env, SIGNALBOX_URL: baseUrl, SIGNALBOX_WORKSPACE: 'acme', SIGNALBOX_TOKEN: token, ...env },
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );

    it('deploys functions by name from files, idempotently, and executes a trigger by name', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'signalbox-cli-'));
      const fnName = name('greet');
      const file = join(dir, `${fnName}.js`);
      await writeFile(file, 'async function run() { return { hello: executionParams.who }; }');

      const first = await cli(['functions', 'deploy', file, '--json']);
      expect(first.code).toBe(0);
      expect(JSON.parse(first.stdout)).toEqual([
        expect.objectContaining({ outcome: 'created', name: fnName, version: 1 }),
      ]);
      const again = await cli(['functions', 'deploy', file, '--json']);
      expect(JSON.parse(again.stdout)).toEqual([expect.objectContaining({ outcome: 'unchanged', version: 1 })]);
      await writeFile(file, 'async function run() { return { hi: executionParams.who }; }');
      expect((await cli(['functions', 'deploy', file])).stdout).toMatch(/^updated\s+/);

      const fn = await client.functions.findByName(fnName);
      const triggerName = name('greet-now');
      await client.triggers.create({ name: triggerName, functionId: fn!.id, executionType: 'on-demand' });
      const executed = await cli(['triggers', 'execute', triggerName, '--data', '{"who":"ada"}', '--wait', '--json']);
      expect(executed.code).toBe(0);
      const finished = JSON.parse(executed.stdout) as { jobId: string; status: string; result: unknown };
      expect(finished).toMatchObject({ status: 'completed', result: { hi: 'ada' } });

      const got = await cli(['runs', 'get', finished.jobId, '--json']);
      expect(JSON.parse(got.stdout)).toMatchObject({ jobId: finished.jobId, status: 'completed' });
      const listed = await cli(['runs', 'list', '--limit', '5', '--json']);
      expect((JSON.parse(listed.stdout) as unknown[]).length).toBeGreaterThan(0);
    });

    it('tails runs live: a run started after it shows as queued, then running, then completed', async () => {
      const fn = await client.functions.create({ name: name('tailed'), code: 'async function run() { return 1; }' });
      const tail = spawn(process.execPath, [CLI, 'runs', 'tail', '--function', fn.id, '--json'], {
        env: { ...process.env, SIGNALBOX_URL: baseUrl, SIGNALBOX_WORKSPACE: 'acme', SIGNALBOX_TOKEN: token },
      });
      let output = '';
      tail.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      try {
        await new Promise((resolve) => setTimeout(resolve, 1_500)); // the stream opens
        const { jobId } = await client.triggers.execute(fn.defaultTriggerId, {});
        const lines = await waitFor(
          () => {
            const mine = output
              .split('\n')
              .filter((line) => line.includes(jobId))
              .map((line) => JSON.parse(line) as { status: string });
            return Promise.resolve(mine.some((run) => run.status === 'completed') ? mine : undefined);
          },
          30_000,
          'the tailed run to complete',
        );
        expect(lines.map((run) => run.status)).toEqual(['queued', 'running', 'completed']);
      } finally {
        tail.kill('SIGINT');
      }
    });

    it("prints the server's error and exits non-zero; wrong usage exits 2", async () => {
      const refused = await cli(['runs', 'get', randomUUID()], { SIGNALBOX_TOKEN: 'not-a-jwt' });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('UNAUTHORIZED (401)');
      const invalid = await cli([
        'events',
        'publish',
        '--record-slug',
        'orders',
        '--event',
        'record_made',
        '--record-id',
        '1',
      ]);
      expect(invalid.code).toBe(1);
      expect(invalid.stderr).toContain('VALIDATION_ERROR (400)');
      expect(invalid.stderr).toContain('event:');
      const usage = await cli(['runs', 'get']);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('missing the jobId');
    });
  });
});
