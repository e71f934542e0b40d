import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify, { type FastifyInstance } from 'fastify';

import { CSP_NONCE_PLACEHOLDER, registerConsole, TRACE_URL_PLACEHOLDER } from './console.static';

// @fastify/static loads an ES module that Jest's CommonJS runtime cannot require; a built console is served in
// the browser test (e2e/test/console.e2e-spec.ts). Here: the service without a build.
jest.mock('@fastify/static', () => ({ __esModule: true, default: () => undefined }));

const asApp = (fastify: FastifyInstance) =>
  ({ getHttpAdapter: () => ({ getInstance: () => fastify }) }) as unknown as NestFastifyApplication;

describe('registerConsole', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'console-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers 404 saying how to build it when the console is not built', async () => {
    const fastify = Fastify();
    expect(await registerConsole(asApp(fastify), join(dir, 'missing'))).toBe(false);
    for (const url of ['/console', '/console/', '/console/runs']) {
      const answer = await fastify.inject(url);
      expect(answer.statusCode).toBe(404);
      expect(answer.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
      expect(answer.body).toContain('npx nx build console');
      expect(answer.headers['content-security-policy']).toContain("default-src 'self'");
    }
    expect((await fastify.inject('/elsewhere')).statusCode).toBe(404);
    await fastify.close();
  });

  it("serves the app's page with a fresh nonce, the same in its CSP's style-src and in the page", async () => {
    const built = join(dir, 'built');
    mkdirSync(built, { recursive: true });
    writeFileSync(
      join(built, 'index.html'),
      `<meta property="csp-nonce" nonce="${CSP_NONCE_PLACEHOLDER}"><div id="root"></div>`,
    );
    const fastify = Fastify();
    expect(await registerConsole(asApp(fastify), built)).toBe(true);
    const nonces = [];
    for (const url of ['/console/runs', '/console/functions/1']) {
      const answer = await fastify.inject(url);
      expect(answer.statusCode).toBe(200);
      const nonce = /nonce="([^"]+)"/.exec(answer.body)?.[1];
      expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(answer.headers['content-security-policy']).toContain(`style-src 'self' 'nonce-${nonce}';`);
      expect(answer.headers['content-security-policy']).toContain("script-src 'self';");
      expect(answer.headers['cache-control']).toBe('no-store');
      nonces.push(nonce);
    }
    expect(nonces[0]).not.toBe(nonces[1]);
    await fastify.close();
  });

  it("writes the operator's trace viewer link template into the page, as attribute text, or nothing when unset", async () => {
    const built = join(dir, 'traced');
    mkdirSync(built, { recursive: true });
    writeFileSync(join(built, 'index.html'), `<meta name="signalbox-trace-url" content="${TRACE_URL_PLACEHOLDER}">`);
    const page = async (traceUrl?: string) => {
      const fastify = Fastify();
      await registerConsole(asApp(fastify), built, { traceUrl });
      const body = (await fastify.inject('/console/runs')).body;
      await fastify.close();
      return body;
    };
    expect(await page('https://jaeger.example/trace/{traceId}?a=1&b=2')).toBe(
      '<meta name="signalbox-trace-url" content="https://jaeger.example/trace/{traceId}?a=1&amp;b=2">',
    );
    expect(await page()).toBe('<meta name="signalbox-trace-url" content="">');
  });
});
