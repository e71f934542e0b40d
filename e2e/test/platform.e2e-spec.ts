import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { ServiceNames, type SystemStatusResponse } from '@signalbox/contracts';
import { Platform, TEST_JWT_SECRET, testToken, WORKSPACE_ROOT } from '@signalbox/testing';
import { sign } from 'jsonwebtoken';

const run = promisify(execFile);

const PREVIOUS_SECRETS = ['previous-secret-0123456789abcdef', 'oldest-secret-0123456789abcdef00'] as const;

describe('the platform, started as five processes', () => {
  let platform: Platform;
  let api: string;
  const token = testToken({ workspaces: ['acme'], permissions: ['function-triggers:read'] });
  const auth = { authorization: `Bearer ${token}` };

  beforeAll(async () => {
    // In the middle of a JWT secret rotation: TEST_JWT_SECRET signs, two earlier secrets are still accepted.
    platform = await Platform.start({
      env: { HTTP_BODY_LIMIT_BYTES: '4096', JWT_PREVIOUS_SECRETS: `${PREVIOUS_SECRETS[0]}, ${PREVIOUS_SECRETS[1]}` },
    });
    api = `${platform.service('data-service').url}/workspace/acme/api/v1`;
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('answers system status with all five services, asked over NATS request-reply', async () => {
    const response = await fetch(`${api}/system/status`, { headers: auth });
    expect(response.status).toBe(200);
    const body = (await response.json()) as SystemStatusResponse;

    expect(body.ready).toBe(true);
    expect(body.services.map((service) => service.name).sort()).toEqual([...ServiceNames].sort());
    for (const service of body.services) {
      expect(service).toMatchObject({ ready: true, version: '0.1.0' });
    }
    const pids = body.services.map((service) => ('instanceId' in service ? service.instanceId : ''));
    expect(new Set(pids).size).toBe(5);
  });

  it.each(ServiceNames)('%s serves liveness, readiness and Prometheus metrics', async (name) => {
    const { url } = platform.service(name);
    expect(await (await fetch(`${url}/health/live`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    const checks = ((await ready.json()) as { checks: Record<string, unknown> }).checks;
    const checksOf: Partial<Record<string, string[]>> = {
      'event-router': ['nats', 'trigger-index'],
      'scheduler-service': ['nats', 'polls', 'postgres', 'schedules'],
      'webhook-gateway': ['nats', 'postgres', 'subscription-index', 'trigger-index'],
    };
    expect(Object.keys(checks).sort()).toEqual(checksOf[name] ?? ['nats', 'postgres']);
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toContain(`process_resident_memory_bytes{service="${name}"}`);
    expect(text).toContain('http_request_duration_seconds_bucket');
  });

  it('serves every metric that the Grafana dashboard and the alert rules of deploy/observability name', async () => {
    // The checker is an ES module that CI also runs without services; here it reads the five services' /metrics.
    const urls = ServiceNames.map((name) => platform.service(name).url);
    const result = await run(process.execPath, [
      join(WORKSPACE_ROOT, 'scripts/check-observability.mjs'),
      '--metrics-from',
      ...urls,
    ]).catch((error: { stdout: string; stderr: string }) => error);

    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/looks right \(\d+ metrics named, checked against \d+ served\)/);
  });

  describe('errors use the contract envelope', () => {
    it('answers an unknown route with 404', async () => {
      const response = await fetch(`${api}/no-such-thing`, { headers: auth });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        success: false,
        error: { code: 'NOT_FOUND', message: 'Cannot GET /workspace/acme/api/v1/no-such-thing' },
      });
    });

    it('answers a body that is not JSON with 400', async () => {
      const response = await fetch(`${api}/system/status`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{"unterminated": ',
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { success: boolean; error: { code: string; message: string } };
      expect(body.success).toBe(false);
      expect(body.error.code).toBe('VALIDATION_ERROR');
      expect(body.error.message).toMatch(/JSON/);
    });

    it('answers a body over the limit with 413', async () => {
      const response = await fetch(`${api}/system/status`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ blob: 'x'.repeat(10_000) }),
      });
      expect(response.status).toBe(413);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    });
  });

  describe('JWT validation', () => {
    const claims = { workspaces: ['acme'], permissions: ['*'] };
    const call = (bearer?: string) =>
      fetch(`${api}/system/status`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
    const expectUnauthorized = async (bearer: string | undefined, message: RegExp) => {
      const response = await call(bearer);
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('UNAUTHORIZED');
      expect(body.error.message).toMatch(message);
    };

    it('refuses a missing token', () => expectUnauthorized(undefined, /missing bearer token/));
    it('accepts a token signed with the current secret or a previous one during a rotation', async () => {
      for (const secret of [TEST_JWT_SECRET, ...PREVIOUS_SECRETS]) {
        expect((await call(sign(claims, secret, { subject: 'u', expiresIn: 60 }))).status).toBe(200);
      }
    });
    it('refuses an expired token signed with a previous secret', () =>
      expectUnauthorized(
        sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 }, PREVIOUS_SECRETS[1], { subject: 'u' }),
        /expired/,
      ));
    it('refuses a token signed with another secret', () =>
      expectUnauthorized(
        sign(claims, 'another-secret-0123456789abcdef', { subject: 'u', expiresIn: 60 }),
        /invalid signature/,
      ));
    it('refuses an expired token', () =>
      expectUnauthorized(
        sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 }, TEST_JWT_SECRET, { subject: 'u' }),
        /expired/,
      ));
    it('refuses a token once it expires, though it was accepted before (verified tokens are remembered)', async () => {
      const exp = Math.floor(Date.now() / 1000) + 4;
      const token = sign({ ...claims, exp }, TEST_JWT_SECRET, { subject: 'u' });
      expect((await call(token)).status).toBe(200);
      expect((await call(token)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 50));
      await expectUnauthorized(token, /expired/);
    });
    it('refuses a token at its own exp when the header carries a second, longer-lived looking one after it', async () => {
      const exp = Math.floor(Date.now() / 1000) + 4;
      const token = sign({ ...claims, exp }, TEST_JWT_SECRET, { subject: 'u' });
      const forged = `e30.${Buffer.from(JSON.stringify({ exp: exp + 3600 })).toString('base64url')}.c2ln`;
      const header = { authorization: `Bearer ${token} ${forged}` };
      expect((await fetch(`${api}/system/status`, { headers: header })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 50));
      expect((await fetch(`${api}/system/status`, { headers: header })).status).toBe(401);
    });
    it('refuses a token without exp', () =>
      expectUnauthorized(sign(claims, TEST_JWT_SECRET, { subject: 'u' }), /no exp/));
    it('refuses an algorithm that is not allow-listed', () =>
      expectUnauthorized(
        sign(claims, TEST_JWT_SECRET, { subject: 'u', expiresIn: 60, algorithm: 'HS512' }),
        /invalid algorithm/,
      ));
    it('refuses an unsigned token', () => {
      const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
        JSON.stringify({ ...claims, sub: 'u', exp: Math.floor(Date.now() / 1000) + 60 }),
      ).toString('base64url')}.`;
      return expectUnauthorized(unsigned, /./);
    });

    it('answers 403 for a workspace the token does not grant', async () => {
      const other = `${platform.service('data-service').url}/workspace/globex/api/v1/system/status`;
      const response = await fetch(other, { headers: auth });
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({
        success: false,
        error: { code: 'FORBIDDEN', message: 'no access to workspace globex' },
      });
    });
  });

  it('echoes the request id, logs one line with it, and never logs the token', async () => {
    const requestId = `e2e-${randomUUID()}`;
    const response = await fetch(`${api}/system/status`, { headers: { ...auth, 'x-request-id': requestId } });
    expect(response.headers.get('x-request-id')).toBe(requestId);
    await new Promise((done) => setTimeout(done, 200));

    const logs = platform.service('data-service').logs;
    const lines = logs.split('\n').filter((line) => line.includes(requestId));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({
      service: 'data-service',
      req: { id: requestId },
      res: { statusCode: 200 },
    });
    expect(logs).not.toContain(token);
  });

  it('reports a stopped service as not ready, and stops it with exit code 0 on SIGTERM', async () => {
    const router = platform.service('event-router');
    expect(await router.stop('SIGTERM')).toBe(0);
    expect(router.logs).toContain('stopped cleanly');

    const body = (await (await fetch(`${api}/system/status`, { headers: auth })).json()) as SystemStatusResponse;
    expect(body.ready).toBe(false);
    expect(body.services.find((service) => service.name === 'event-router')).toMatchObject({ ready: false });
  });

  it('stops every other service cleanly on SIGTERM', async () => {
    const names = ServiceNames.filter((name) => name !== 'event-router');
    const codes = await Promise.all(names.map((name) => platform.service(name).stop('SIGTERM')));
    expect(codes).toEqual(names.map(() => 0));
  });
});
