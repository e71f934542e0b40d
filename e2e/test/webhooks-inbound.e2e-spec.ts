import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';

import type { ComputeFunction, FunctionTrigger, WebhookRunParams, WebhookTestSampleList } from '@signalbox/contracts';
import { Platform, queryDatabase, sleep, testToken, waitFor } from '@signalbox/testing';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';

import { ApiClient } from './support/http';

interface RunRow extends Record<string, unknown> {
  id: string;
  status: string;
  execution_params: WebhookRunParams;
}

/** The output of an ES module script (the signing libraries below are ESM-only; Jest runs CommonJS). */
function runModule(script: string, env: Record<string, string>): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

/** GitHub's signature, made by @octokit/webhooks-methods. */
function githubSign(secret: string, data: string): string {
  const script =
    "import { sign } from '@octokit/webhooks-methods';" +
    'process.stdout.write(await sign(process.env.SECRET, process.env.PAYLOAD));';
  return runModule(script, { SECRET: secret, PAYLOAD: data });
}

/** The `svix-signature` the svix package makes (Clerk, Resend and other senders built on Svix sign with it). */
function svixSign(secret: string, id: string, at: Date, data: string): string {
  const script =
    "import { Webhook } from 'svix';" +
    'const { SECRET, ID, AT, PAYLOAD } = process.env;' +
    'process.stdout.write(new Webhook(SECRET).sign(ID, new Date(Number(AT)), PAYLOAD));';
  return runModule(script, { SECRET: secret, ID: id, AT: String(at.getTime()), PAYLOAD: data });
}

/**
 * Inbound webhook triggers through the real webhook-gateway: any method on the seed's URL becomes a durable
 * run; provider signatures (made by the providers' own libraries) are checked over the raw bytes before
 * anything runs; redeliveries answer with the first job; limits answer 413 and 429.
 */
describe('webhook-gateway: inbound webhook triggers', () => {
  let platform: Platform;
  let api: ApiClient;
  let gateway: string;
  let functionId: string;

  const runsOf = (triggerId: string) =>
    queryDatabase<RunRow>(platform.database.url, 'SELECT * FROM runtime.runs WHERE trigger_id = $1', [triggerId]);

  const completedRun = (jobId: string) =>
    waitFor(
      async () => {
        const [run] = await queryDatabase<RunRow>(platform.database.url, 'SELECT * FROM runtime.runs WHERE id = $1', [
          jobId,
        ]);
        return run?.status === 'completed' ? run : undefined;
      },
      20_000,
      `run ${jobId} completed`,
    );

  const createWebhook = async (path: string, params: Record<string, unknown> = {}) => {
    const response = await api.post<FunctionTrigger>('/function-triggers', {
      name: `w-${randomUUID().slice(0, 8)}`,
      functionId,
      executionType: 'webhook',
      triggerMetadata: { path, params },
    });
    expect(response.status).toBe(201);
    await sleep(200); // the gateway's index follows the KV bucket
    return response.body;
  };

  const send = (path: string, init: { method?: string; body?: string | Buffer; headers?: Record<string, string> }) =>
    fetch(`${gateway}/workspace/acme/api/v1/webhook${path}`, {
      method: init.method ?? 'POST',
      headers: init.headers,
      body: init.body,
    });

  const signatureFailures = async (provider: string) => {
    const text = await (await fetch(`${gateway}/metrics`)).text();
    return text
      .split('\n')
      .filter(
        (line) =>
          line.startsWith('signalbox_webhook_signature_failures_total{') && line.includes(`provider="${provider}"`),
      )
      .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  };

  beforeAll(async () => {
    platform = await Platform.start({
      only: ['data-service', 'compute-runtime', 'webhook-gateway'],
      env: {
        WEBHOOK_BODY_LIMIT_BYTES: '65536',
        WEBHOOK_RATE_LIMIT_PER_MINUTE: '30',
        HTTP_REQUEST_TIMEOUT_MS: '2000',
        HTTP_HEADERS_TIMEOUT_MS: '1000',
      },
    });
    gateway = platform.service('webhook-gateway').url;
    api = new ApiClient(
      `${platform.service('data-service').url}/workspace/acme/api/v1`,
      testToken({ workspaces: ['acme'], permissions: ['*'], subject: 'alice' }),
    );
    const fn = await api.post<ComputeFunction>('/compute-functions', {
      name: 'echo-webhook',
      code: 'async function run() { return { got: executionParams.body }; }',
    });
    expect(fn.status).toBe(201);
    functionId = fn.body.id;
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('turns any method on the path into a durable run with the request as executionParams', async () => {
    const trigger = await createWebhook('/orders/created');
    const body = JSON.stringify({ order: 42 });
    const response = await send('/orders/created?source=shop&tag=a&tag=b', {
      body,
      headers: { 'content-type': 'application/json', authorization: 'Bearer secret-token', 'x-custom': 'yes' },
    });
    expect(response.status).toBe(202);
    const { jobId } = (await response.json()) as { jobId: string };
    const run = await completedRun(jobId);
    expect(run.execution_params).toMatchObject({
      method: 'POST',
      path: '/orders/created',
      query: { source: 'shop', tag: ['a', 'b'] },
      body: { order: 42 },
      rawBody: Buffer.from(body).toString('base64'),
      headers: { 'x-custom': 'yes', 'content-type': 'application/json' },
    });
    expect(run.execution_params.headers).not.toHaveProperty('authorization');
    expect(Date.parse(run.execution_params.receivedAt)).toBeGreaterThan(Date.now() - 60_000);

    const text = await send('/orders/created', {
      method: 'PUT',
      body: 'plain words',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(202);
    const textRun = await completedRun(((await text.json()) as { jobId: string }).jobId);
    expect(textRun.execution_params).toMatchObject({ method: 'PUT', body: 'plain words' });

    const byId = await fetch(`${gateway}/workspace/acme/api/v1/webhook/by-id/${trigger.id}`, { method: 'GET' });
    expect(byId.status).toBe(202);
    await completedRun(((await byId.json()) as { jobId: string }).jobId);
    expect(await runsOf(trigger.id)).toHaveLength(3);
  });

  it('answers 404 for an unknown path or another workspace, and 409 for a disabled trigger', async () => {
    const unknown = await send('/nothing/here', { body: '{}' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    const trigger = await createWebhook('/paused');
    const other = await fetch(`${gateway}/workspace/globex/api/v1/webhook/paused`, { method: 'POST', body: '{}' });
    expect(other.status).toBe(404);
    expect((await api.post(`/function-triggers/${trigger.id}/disable`)).status).toBe(200);
    await sleep(200);
    const disabled = await send('/paused', { body: '{}' });
    expect(disabled.status).toBe(409);
    expect(await disabled.json()).toMatchObject({ error: { code: 'INVALID_STATUS' } });
    expect(await runsOf(trigger.id)).toHaveLength(0);
  });

  describe('provider signatures (sealed signing secrets, checked over the raw bytes)', () => {
    const payload = JSON.stringify({ id: `evt_${randomUUID()}`, type: 'invoice.paid', data: { amount: 4200 } });
    const tampered = payload.replace('4200', '4201');

    /** valid -> 202 and a run; tampered, wrong secret, stale -> 401, nothing runs, counted. */
    const checkProvider = async (
      provider: string,
      secret: string,
      sign: (body: string, options: { secret: string; ageSeconds: number }) => Record<string, string>,
      options: { stale?: boolean; path?: string } = {},
    ) => {
      const path = options.path ?? `/signed/${provider}`;
      const trigger = await createWebhook(path, {
        provider,
        validateSignature: true,
        signingSecret: { value: secret, encrypt: true },
      });
      const before = await signatureFailures(provider);
      const post = (body: string, headers: Record<string, string>) =>
        send(path, { body, headers: { 'content-type': 'application/json', ...headers } });

      const valid = await post(payload, sign(payload, { secret, ageSeconds: 0 }));
      expect(valid.status).toBe(202);
      await completedRun(((await valid.json()) as { jobId: string }).jobId);

      const refused = [
        await post(tampered, sign(payload, { secret, ageSeconds: 0 })),
        await post(payload, sign(payload, { secret: `${secret}x`, ageSeconds: 0 })),
        ...(options.stale ? [await post(payload, sign(payload, { secret, ageSeconds: 600 }))] : []),
      ];
      for (const response of refused) {
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
      }
      expect(await signatureFailures(provider)).toBe(before + refused.length);
      await sleep(300);
      expect(await runsOf(trigger.id)).toHaveLength(1);
    };

    it('stripe (stripe.webhooks.generateTestHeaderString)', async () => {
      const stripe = new Stripe('sk_test_123');
      await checkProvider(
        'stripe',
        'whsec_test_secret_abc',
        (body, { secret, ageSeconds }) => ({
          'stripe-signature': stripe.webhooks.generateTestHeaderString({
            payload: body,
            secret,
            timestamp: Math.floor(Date.now() / 1000) - ageSeconds,
          }),
        }),
        { stale: true },
      );
    });

    it('github (@octokit/webhooks-methods sign)', async () => {
      await checkProvider('github', 'gh-secret', (body, { secret }) => ({
        'x-hub-signature-256': githubSign(secret, body),
        'x-github-delivery': randomUUID(),
      }));
    });

    /** Signs as Standard Webhooks does, under the `webhook-*` or (Svix) the `svix-*` header names. */
    const standardSigner =
      (secret: string, names: 'webhook' | 'svix', sign: (key: string, id: string, at: Date, body: string) => string) =>
      (body: string, options: { secret: string; ageSeconds: number }) => {
        const id = `msg_${randomUUID()}`;
        const at = new Date(Date.now() - options.ageSeconds * 1000);
        // A wrong secret must still be valid base64 for the libraries to sign with it.
        const key =
          options.secret === secret
            ? secret
            : `whsec_${Buffer.from('another secret of 32 bytes!!!!!!').toString('base64')}`;
        return {
          [`${names}-id`]: id,
          [`${names}-timestamp`]: String(Math.floor(at.getTime() / 1000)),
          [`${names}-signature`]: sign(key, id, at, body),
        };
      };

    it('standard-webhooks (the standardwebhooks package)', async () => {
      const secret = `whsec_${Buffer.from('a standard webhooks secret 32b!!').toString('base64')}`;
      const sign = (key: string, id: string, at: Date, body: string) => new Webhook(key).sign(id, at, body);
      await checkProvider('standard-webhooks', secret, standardSigner(secret, 'webhook', sign), { stale: true });
    });

    it('svix-style headers (the svix package: Clerk, Resend, ...) on a standard-webhooks trigger', async () => {
      const secret = `whsec_${Buffer.from('a svix signing secret of 32 b!!!').toString('base64')}`;
      await checkProvider('standard-webhooks', secret, standardSigner(secret, 'svix', svixSign), {
        stale: true,
        path: '/signed/svix',
      });
    });

    it('slack: answers the url_verification challenge after the signature check, and a retry with the first job', async () => {
      const secret = 'slack-signing-secret-for-events';
      const path = '/slack/events';
      const trigger = await createWebhook(path, {
        provider: 'slack',
        validateSignature: true,
        signingSecret: { value: secret, encrypt: true },
      });
      const slack = (body: string, headers: Record<string, string> = {}, signingSecret = secret) => {
        const timestamp = Math.floor(Date.now() / 1000);
        const signature = createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex');
        return send(path, {
          body,
          headers: {
            'content-type': 'application/json',
            'x-slack-request-timestamp': String(timestamp),
            'x-slack-signature': `v0=${signature}`,
            ...headers,
          },
        });
      };

      const verification = JSON.stringify({
        token: 'legacy',
        challenge: 'c-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
        type: 'url_verification',
      });
      const forged = await slack(verification, {}, 'not-the-secret');
      expect(forged.status).toBe(401);
      const answered = await slack(verification);
      expect(answered.status).toBe(200);
      expect(await answered.json()).toEqual({ challenge: 'c-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });

      const event = JSON.stringify({
        type: 'event_callback',
        event_id: `Ev${randomUUID().slice(0, 8)}`,
        event: { type: 'app_mention', text: 'hi' },
      });
      const first = await slack(event);
      expect(first.status).toBe(202);
      const { jobId } = (await first.json()) as { jobId: string };
      const retry = await slack(event, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
      expect(retry.status).toBe(202);
      expect(await retry.json()).toEqual({ jobId, duplicate: true });
      await completedRun(jobId);
      expect(await runsOf(trigger.id)).toHaveLength(1);
    });

    it("slack (Slack's documented v0 recipe)", async () => {
      await checkProvider(
        'slack',
        'slack-signing-secret',
        (body, { secret, ageSeconds }) => {
          const timestamp = Math.floor(Date.now() / 1000) - ageSeconds;
          return {
            'x-slack-request-timestamp': String(timestamp),
            'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`,
          };
        },
        { stale: true },
      );
    });

    it("shopify (Shopify's documented base64 recipe)", async () => {
      await checkProvider('shopify', 'shpss_secret', (body, { secret }) => ({
        'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body).digest('base64'),
      }));
    });

    it('generic hmac-sha256', async () => {
      await checkProvider('hmac-sha256', 'generic-secret', (body, { secret }) => ({
        'x-signature': createHmac('sha256', secret).update(body).digest('hex'),
      }));
    });
  });

  it('answers a redelivery (same provider delivery id or Idempotency-Key) with the first jobId and starts nothing', async () => {
    const stripe = new Stripe('sk_test_123');
    const secret = 'whsec_dupes';
    const trigger = await createWebhook('/dupes/stripe', {
      provider: 'stripe',
      validateSignature: true,
      signingSecret: { value: secret, encrypt: true },
    });
    const body = JSON.stringify({ id: `evt_${randomUUID()}`, type: 'customer.created' });
    const deliver = () =>
      send('/dupes/stripe', {
        body,
        headers: {
          'content-type': 'application/json',
          'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret }),
        },
      });
    const first = (await (await deliver()).json()) as { jobId: string };
    const second = await deliver();
    expect(second.status).toBe(202);
    expect(await second.json()).toEqual({ jobId: first.jobId, duplicate: true });
    await completedRun(first.jobId);

    const plain = await createWebhook('/dupes/plain');
    const key = randomUUID();
    const a = (await (await send('/dupes/plain', { body: 'x', headers: { 'idempotency-key': key } })).json()) as {
      jobId: string;
    };
    const b = (await (await send('/dupes/plain', { body: 'x', headers: { 'idempotency-key': key } })).json()) as {
      jobId: string;
    };
    expect(b.jobId).toBe(a.jobId);
    await completedRun(a.jobId);
    await sleep(500);
    expect(await runsOf(trigger.id)).toHaveLength(1);
    expect(await runsOf(plain.id)).toHaveLength(1);
  });

  it('answers a signed request replayed within the signature window (a new delivery id, or none) with the first job', async () => {
    // GitHub signs the body only: a captured request replayed with a new X-GitHub-Delivery used to start a run.
    const secret = 'gh-replay-secret';
    const github = await createWebhook('/replays/github', {
      provider: 'github',
      validateSignature: true,
      signingSecret: { value: secret, encrypt: true },
    });
    const body = JSON.stringify({ action: 'opened', number: Math.floor(Math.random() * 1e6) });
    const signature = githubSign(secret, body);
    const deliver = (delivery: string, event = 'pull_request') =>
      send('/replays/github', {
        body,
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': signature,
          'x-github-delivery': delivery,
          'x-github-event': event,
        },
      });
    const first = (await (await deliver(randomUUID())).json()) as { jobId: string };
    const replayed = await deliver(randomUUID());
    expect(replayed.status).toBe(202);
    expect(await replayed.json()).toEqual({ jobId: first.jobId, duplicate: true });
    // The same body as another event is another request (Shopify sends one body under two topics).
    const otherEvent = (await (await deliver(randomUUID(), 'issues')).json()) as { jobId: string; duplicate?: true };
    expect(otherEvent.duplicate).toBeUndefined();
    await completedRun(otherEvent.jobId);

    // Generic HMAC with no delivery id: the same signed bytes twice are one run.
    const hmacSecret = 'hmac-replay-secret';
    const hmac = await createWebhook('/replays/hmac', {
      provider: 'hmac-sha256',
      validateSignature: true,
      signingSecret: { value: hmacSecret, encrypt: true },
    });
    const ping = JSON.stringify({ ping: randomUUID() });
    const signed = { 'x-signature': createHmac('sha256', hmacSecret).update(ping).digest('hex') };
    const one = (await (await send('/replays/hmac', { body: ping, headers: signed })).json()) as { jobId: string };
    expect(await (await send('/replays/hmac', { body: ping, headers: signed })).json()).toEqual({
      jobId: one.jobId,
      duplicate: true,
    });
    // Other bytes are another request.
    const pong = JSON.stringify({ pong: randomUUID() });
    const other = await send('/replays/hmac', {
      body: pong,
      headers: { 'x-signature': createHmac('sha256', hmacSecret).update(pong).digest('hex') },
    });
    expect(((await other.json()) as { jobId: string }).jobId).not.toBe(one.jobId);

    await completedRun(first.jobId);
    await completedRun(one.jobId);
    await sleep(300);
    expect(await runsOf(github.id)).toHaveLength(2);
    expect(await runsOf(hmac.id)).toHaveLength(2);
  });

  it('refuses a body over the limit (413) and a burst over the per-trigger rate limit (429 with Retry-After)', async () => {
    const trigger = await createWebhook('/limits');
    const big = await send('/limits', { body: Buffer.alloc(70_000, 'a'), headers: { 'content-type': 'text/plain' } });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });

    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 35; i++) {
      const response = await send('/limits', { body: `n=${i}` });
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = response.headers.get('retry-after');
        expect(await response.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });
      }
    }
    expect(statuses.filter((status) => status === 202).length).toBeLessThanOrEqual(30);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Another path has its own budget.
    await createWebhook('/limits-other');
    expect((await send('/limits-other', { body: 'x' })).status).toBe(202);
    expect(trigger.id).toBeDefined();
  });

  it('counts the rate limit per trigger, however its path is spelled: percent-encoded or by id', async () => {
    const trigger = await createWebhook('/limits-spelled');
    const spellings = ['/limits-spelled', '/%6Cimits-spelled', '/limits%2Dspelled', `/by-id/${trigger.id}`];
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++)
      statuses.push((await send(spellings[i % spellings.length], { body: `n=${i}` })).status);
    expect(statuses.filter((status) => status === 202).length).toBeLessThanOrEqual(30);
    expect(statuses).toContain(429);
  });

  it('answers 408 and closes the connection of a client that sends its headers or body too slowly', async () => {
    const trigger = await createWebhook('/slow');
    const { hostname, port } = new URL(gateway);
    const slowly = async (firstBytes: string) => {
      const socket = connect(Number(port), hostname);
      await once(socket, 'connect');
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.write(firstBytes); // ... and never the rest
      await once(socket, 'close');
      return answer;
    };
    const path = '/workspace/acme/api/v1/webhook/slow';
    expect(await slowly(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part`)).toMatch(
      /^HTTP\/1\.1 408/,
    );
    expect(await slowly(`POST ${path} HTTP/1.1\r\nHost: x\r\nX-Partial`)).toMatch(/^HTTP\/1\.1 408/);
    expect(await runsOf(trigger.id)).toHaveLength(0);
  });

  it('keeps the latest 20 requests of a webhook trigger as test samples, credentials removed, refusals included', async () => {
    const secret = 'samples-secret';
    const trigger = await createWebhook('/samples', {
      provider: 'hmac-sha256',
      validateSignature: true,
      signingSecret: { value: secret, encrypt: true },
    });
    const sign = (data: string) => createHmac('sha256', secret).update(data).digest('hex');
    for (let i = 0; i < 22; i++) {
      const data = JSON.stringify({ n: i });
      const response = await send(`/samples?i=${i}`, {
        body: data,
        headers: {
          'content-type': 'application/json',
          'x-signature': sign(data),
          authorization: 'Bearer do-not-keep',
          'x-api-token': 'do-not-show',
        },
      });
      expect(response.status).toBe(202);
    }
    const forged = await send('/samples', { body: '{"n":"forged"}', headers: { 'x-signature': sign('{}') } });
    expect(forged.status).toBe(401);

    const samples = await waitFor(
      async () => {
        const response = await api.get<WebhookTestSampleList>(`/function-triggers/${trigger.id}/test-samples`);
        expect(response.status).toBe(200);
        return response.body.samples[0]?.outcome === 'signature_failed' ? response.body.samples : undefined;
      },
      10_000,
      'the samples to be kept',
    );
    expect(samples).toHaveLength(20);
    expect(samples[0]).toMatchObject({ method: 'POST', path: '/samples', body: '{"n":"forged"}', jobId: null });
    expect(samples[1]).toMatchObject({
      outcome: 'accepted',
      body: '{"n":21}',
      bodyEncoding: 'utf8',
      bodyTruncated: false,
      query: { i: '21' },
      jobId: expect.any(String),
    });
    expect(samples[1].headers).not.toHaveProperty('authorization');
    expect(samples[1].headers['x-api-token']).toBe('[redacted]');
    expect(samples.at(-1)!.body).toBe('{"n":3}');
    expect(JSON.stringify(samples)).not.toContain('do-not-');

    const onDemand = await api.post<FunctionTrigger>('/function-triggers', {
      name: `od-${randomUUID().slice(0, 8)}`,
      functionId,
      executionType: 'on-demand',
    });
    expect((await api.get(`/function-triggers/${onDemand.body.id}/test-samples`)).status).toBe(409);
    expect((await api.get(`/function-triggers/${randomUUID()}/test-samples`)).status).toBe(404);
  });

  it('takes Clerk (Svix-signed) and Slack (url_verification first) through their templates', async () => {
    const secret = `whsec_${Buffer.from('clerk signing secret, 32 bytes!!').toString('base64')}`;
    const clerk = await api.post<FunctionTrigger>('/function-triggers', {
      name: `clerk-user-${randomUUID().slice(0, 6)}`,
      functionId,
      providerId: 'clerk',
      providerTriggerId: 'user.created',
      triggerMetadata: { params: { signingSecret: secret } },
    });
    expect(clerk.status).toBe(201);
    await sleep(300);
    const clerkSend = (event: Record<string, unknown>) => {
      const body = JSON.stringify(event);
      const id = `msg_${randomUUID()}`;
      const at = new Date();
      return send('/clerk/user.created', {
        body,
        headers: {
          'content-type': 'application/json',
          'svix-id': id,
          'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
          'svix-signature': svixSign(secret, id, at, body),
        },
      });
    };
    const created = await clerkSend({ type: 'user.created', data: { id: 'user_1' }, object: 'event' });
    expect(created.status).toBe(202);
    await completedRun(((await created.json()) as { jobId: string }).jobId);
    const other = await clerkSend({ type: 'session.created', data: { id: 'sess_1' }, object: 'event' });
    expect(other.status).toBe(200);
    expect(await other.json()).toMatchObject({ ignored: true });

    const slackSecret = 'slack-template-signing-secret';
    const slack = await api.post<FunctionTrigger>('/function-triggers', {
      name: `slack-mention-${randomUUID().slice(0, 6)}`,
      functionId,
      providerId: 'slack',
      providerTriggerId: 'app_mention',
      triggerMetadata: { params: { signingSecret: slackSecret } },
    });
    expect(slack.status).toBe(201);
    await sleep(300);
    const body = JSON.stringify({ type: 'url_verification', challenge: 'template-challenge', token: 't' });
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', slackSecret).update(`v0:${timestamp}:${body}`).digest('hex');
    const verification = await send('/slack/app_mention', {
      body,
      headers: {
        'content-type': 'application/json',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': `v0=${signature}`,
      },
    });
    expect(verification.status).toBe(200);
    expect(await verification.json()).toEqual({ challenge: 'template-challenge' });
    expect(await runsOf(slack.body.id)).toHaveLength(0);
  });

  it('makes a verified, event-filtered webhook trigger from a provider template (GET /providers round trip)', async () => {
    const providers = await api.get<{ providers: Array<{ id: string; triggerCount: number }> }>('/providers');
    expect(providers.body.providers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'stripe', triggerCount: 3 }),
        expect.objectContaining({ id: 'github', triggerCount: 3 }),
        expect.objectContaining({ id: 'slack', triggerCount: 2 }),
        expect.objectContaining({ id: 'clerk', triggerCount: 3 }),
      ]),
    );
    const stripeTriggers = await api.get<{ triggers: Array<{ id: string }> }>('/providers/stripe/triggers');
    expect(stripeTriggers.body.triggers.map((t) => t.id)).toEqual([
      'customer.created',
      'invoice.paid',
      'invoice.payment_failed',
    ]);
    const template = await api.get<{ triggerMetadata: Record<string, unknown>; requires: string[] }>(
      '/providers/stripe/triggers/invoice.paid',
    );
    expect(template.body.triggerMetadata).toEqual({
      path: '/stripe/invoice.paid',
      params: { provider: 'stripe', validateSignature: true },
      filter: { 'body.type': 'invoice.paid' },
    });
    expect(template.body.requires).toEqual(['triggerMetadata.params.signingSecret']);
    expect((await api.get('/providers/paypal/triggers')).status).toBe(404);

    const secret = 'whsec_from_template';
    const created = await api.post<FunctionTrigger>('/function-triggers', {
      name: `stripe-paid-${randomUUID().slice(0, 6)}`,
      functionId,
      providerId: 'stripe',
      providerTriggerId: 'invoice.paid',
      triggerMetadata: { path: `/stripe/paid-${randomUUID().slice(0, 6)}`, params: { signingSecret: secret } },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      executionType: 'webhook',
      triggerMetadata: {
        params: { provider: 'stripe', validateSignature: true, signingSecret: { encrypted: true } },
        filter: { 'body.type': 'invoice.paid' },
      },
    });
    const unknown = await api.post('/function-triggers', {
      name: `x-${randomUUID().slice(0, 6)}`,
      functionId,
      providerId: 'stripe',
      providerTriggerId: 'charge.exploded',
    });
    expect(unknown.status).toBe(400);
    await sleep(200);

    const stripe = new Stripe('sk_test_123');
    const path = created.body.triggerMetadata['path'] as string;
    const deliver = (type: string, signWith = secret) => {
      const body = JSON.stringify({ id: `evt_${randomUUID()}`, type, data: { object: { id: 'in_1' } } });
      return send(path, {
        body,
        headers: {
          'content-type': 'application/json',
          'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret: signWith }),
        },
      });
    };
    const paid = await deliver('invoice.paid');
    expect(paid.status).toBe(202);
    await completedRun(((await paid.json()) as { jobId: string }).jobId);
    const other = await deliver('customer.created');
    expect(other.status).toBe(200);
    expect(await other.json()).toEqual({ ignored: true, reason: 'the request does not match the trigger filter' });
    expect((await deliver('invoice.paid', 'whsec_wrong')).status).toBe(401);
    expect(await runsOf(created.body.id)).toHaveLength(1);
  });

  describe("endpoint triggers (synchronous: the function's result is the response)", () => {
    const createFunction = async (code: string) => {
      const response = await api.post<ComputeFunction>('/compute-functions', {
        name: `ep-${randomUUID().slice(0, 8)}`,
        code,
      });
      expect(response.status).toBe(201);
      return response.body.id;
    };
    const createEndpoint = async (code: string, metadata: Record<string, unknown>) => {
      const response = await api.post<FunctionTrigger>('/function-triggers', {
        name: `e-${randomUUID().slice(0, 8)}`,
        functionId: await createFunction(code),
        executionType: 'endpoint',
        triggerMetadata: metadata,
      });
      expect(response.status).toBe(201);
      await sleep(200); // the gateway's index follows the KV bucket
      return response.body;
    };
    const call = (path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) =>
      fetch(`${gateway}/workspace/acme/api/v1/endpoints${path}`, {
        method: init.method ?? 'POST',
        headers: { 'content-type': 'application/json', ...init.headers },
        body: init.body,
      });
    const runOf = async (jobId: string) =>
      (
        await queryDatabase<RunRow & { requested_by: string; result: unknown; error: unknown }>(
          platform.database.url,
          'SELECT * FROM runtime.runs WHERE id = $1',
          [jobId],
        )
      )[0];

    it('answers with the status, headers and body the function returns, and records the call as a run', async () => {
      const trigger = await createEndpoint(
        `async function run() {
           const qty = executionParams.body.qty;
           if (executionParams.query.plain === 'yes') return { quote: qty * 2 };
           return { status: 201, headers: { 'X-Quote-Id': 'q-' + qty, 'cache-control': 'no-store' },
                    body: { price: qty * 2, currency: triggerParams.currency } };
         }`,
        { path: '/quotes', method: 'POST', params: { currency: 'EUR' } },
      );
      const shaped = await call('/quotes', {
        body: JSON.stringify({ qty: 21 }),
        headers: { authorization: 'Bearer x' },
      });
      expect(shaped.status).toBe(201);
      expect(shaped.headers.get('x-quote-id')).toBe('q-21');
      expect(shaped.headers.get('cache-control')).toBe('no-store');
      expect(shaped.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await shaped.json()).toEqual({ price: 42, currency: 'EUR' });
      const jobId = shaped.headers.get('x-signalbox-job-id')!;
      const recorded = await runOf(jobId);
      expect(recorded).toMatchObject({
        trigger_id: trigger.id,
        status: 'completed',
        requested_by: 'endpoint',
        result: { status: 201, body: { price: 42, currency: 'EUR' } },
      });
      expect(recorded.execution_params).toMatchObject({ method: 'POST', path: '/quotes', body: { qty: 21 } });
      expect(recorded.execution_params.headers).not.toHaveProperty('authorization');

      const plain = await call('/quotes?plain=yes', { body: JSON.stringify({ qty: 5 }) });
      expect(plain.status).toBe(200);
      expect(await plain.json()).toEqual({ quote: 10 });

      const wrongMethod = await call('/quotes', { method: 'GET', body: undefined });
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get('allow')).toBe('POST');
      expect(await wrongMethod.json()).toMatchObject({ success: false, error: { code: 'METHOD_NOT_ALLOWED' } });
      expect((await call('/no-such-endpoint', { body: '{}' })).status).toBe(404);
      expect(await runsOf(trigger.id)).toHaveLength(2);
    });

    it('enforces signature params like a webhook trigger: a Slack slash command, signed or refused', async () => {
      const secret = 'slack-slash-command-signing-secret';
      const trigger = await createEndpoint(
        'async function run() { return { text: "pong " + executionParams.body }; }',
        {
          path: '/slack/ping',
          method: 'POST',
          params: { provider: 'slack', validateSignature: true, signingSecret: { value: secret, encrypt: true } },
        },
      );
      // Stored sealed, never as given.
      expect(JSON.stringify((await api.get<FunctionTrigger>(`/function-triggers/${trigger.id}`)).body)).not.toContain(
        secret,
      );
      const form = 'command=%2Fping&text=hello&user_id=U1';
      const signed = (signingSecret: string) => {
        const timestamp = Math.floor(Date.now() / 1000);
        const signature = createHmac('sha256', signingSecret).update(`v0:${timestamp}:${form}`).digest('hex');
        return {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': String(timestamp),
          'x-slack-signature': `v0=${signature}`,
        };
      };
      const forged = await call('/slack/ping', { body: form, headers: signed('not-the-secret') });
      expect(forged.status).toBe(401);
      expect(await forged.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
      const unsigned = await call('/slack/ping', { body: form, headers: { 'content-type': 'text/plain' } });
      expect(unsigned.status).toBe(401);
      await sleep(300);
      expect(await runsOf(trigger.id)).toHaveLength(0);

      const answered = await call('/slack/ping', { body: form, headers: signed(secret) });
      expect(answered.status).toBe(200);
      expect(await answered.json()).toEqual({ text: `pong ${form}` });
      expect(await runsOf(trigger.id)).toHaveLength(1);

      // The same rules as webhooks when it is created: a signature check needs a provider and a secret.
      const incomplete = await api.post<{ error: { details: Array<{ path: string[] }> } }>('/function-triggers', {
        name: `e-${randomUUID().slice(0, 8)}`,
        functionId: trigger.functionId,
        executionType: 'endpoint',
        triggerMetadata: { path: '/slack/incomplete', params: { validateSignature: true } },
      });
      expect(incomplete.status).toBe(400);
      expect(incomplete.body.error.details.map((detail) => detail.path.join('.'))).toEqual(
        expect.arrayContaining(['triggerMetadata.params.provider', 'triggerMetadata.params.signingSecret']),
      );
    });

    it("checks the body against the trigger's inputSchema before anything runs (endpoints and webhooks)", async () => {
      const inputSchema = {
        type: 'object',
        required: ['qty'],
        properties: { qty: { type: 'integer', minimum: 1 } },
      };
      const endpoint = await createEndpoint('async function run() { return executionParams.body; }', {
        path: '/checked',
        inputSchema,
      });
      const refused = await call('/checked', { body: JSON.stringify({ qty: 'many' }) });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({
        success: false,
        error: { code: 'VALIDATION_ERROR', details: [{ path: ['body', 'qty'], message: 'body.qty must be integer' }] },
      });
      const accepted = await call('/checked', { method: 'PUT', body: JSON.stringify({ qty: 3 }) });
      expect(accepted.status).toBe(200);
      expect(await accepted.json()).toEqual({ qty: 3 });
      expect(await runsOf(endpoint.id)).toHaveLength(1);

      const webhook = await api.post<FunctionTrigger>('/function-triggers', {
        name: `w-${randomUUID().slice(0, 8)}`,
        functionId,
        executionType: 'webhook',
        triggerMetadata: { path: '/checked-hook', inputSchema },
      });
      await sleep(200);
      const hook = await send('/checked-hook', { body: '{}', headers: { 'content-type': 'application/json' } });
      expect(hook.status).toBe(400);
      expect(await hook.json()).toMatchObject({ error: { code: 'VALIDATION_ERROR' } });
      expect(await runsOf(webhook.body.id)).toHaveLength(0);
    });

    it('answers 500 with the run id and nothing of the error when the function throws', async () => {
      const trigger = await createEndpoint("async function run() { throw new Error('db password is hunter2'); }", {
        path: '/throws',
      });
      const response = await call('/throws', { body: '{}' });
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(text).not.toContain('hunter2');
      expect(text).not.toMatch(/\bat .*:\d+/); // no stack
      const body = JSON.parse(text) as { error: { code: string }; jobId: string };
      expect(body.error.code).toBe('FUNCTION_FAILED');
      expect(response.headers.get('x-signalbox-job-id')).toBe(body.jobId);
      expect(await runOf(body.jobId)).toMatchObject({
        trigger_id: trigger.id,
        status: 'failed',
        error: { message: 'db password is hunter2' },
      });
    });

    it('past the deadline answers 202 with a status URL (or 504 if the trigger says so), and the run goes on', async () => {
      const slow =
        'async function run() { const end = Date.now() + 1500; while (Date.now() < end) {} return { done: true }; }';
      await createEndpoint(slow, { path: '/slow', timeoutMs: 300 });
      const started = Date.now();
      const response = await call('/slow', { body: '{}' });
      expect(response.status).toBe(202);
      expect(Date.now() - started).toBeLessThan(1_400); // answered at the deadline, not when the run ended
      const accepted = (await response.json()) as { jobId: string; status: string; statusUrl: string };
      expect(accepted).toMatchObject({
        status: 'running',
        statusUrl: `/workspace/acme/api/v1/function-runs/${accepted.jobId}`,
      });
      const status = await waitFor(
        async () => {
          const run = await fetch(`${platform.service('data-service').url}${accepted.statusUrl}`, {
            headers: { authorization: `Bearer ${testToken({ workspaces: ['acme'], permissions: ['*'] })}` },
          });
          const body = (await run.json()) as { status: string; result: unknown };
          return body.status === 'completed' ? body : undefined;
        },
        20_000,
        'the slow run completed',
      );
      expect(status.result).toEqual({ done: true });

      await createEndpoint(slow, { path: '/slow-504', timeoutMs: 300, timeoutResponse: 'gateway-timeout' });
      const strict = await call('/slow-504', { body: '{}' });
      expect(strict.status).toBe(504);
      const refused = (await strict.json()) as { error: { code: string }; jobId: string };
      expect(refused.error.code).toBe('GATEWAY_TIMEOUT');
      await completedRun(refused.jobId);
    });
  });
});
