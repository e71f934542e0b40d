import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where `npx nx build console` puts the console, seen from this file's build (apps/data-service/dist/console). */
export const CONSOLE_DIST = join(__dirname, '..', '..', '..', 'console', 'dist');

/** What the console's build puts where data-service writes each page's nonce (apps/console/vite.config.mjs). */
export const CSP_NONCE_PLACEHOLDER = 'SIGNALBOX_CSP_NONCE';

/** Where the console's page (apps/console/index.html) takes the operator's trace viewer link template. */
export const TRACE_URL_PLACEHOLDER = 'SIGNALBOX_TRACE_URL';

export interface ConsoleSettings {
  /** `CONSOLE_TRACE_URL`: a run's trace in the operator's viewer, `{traceId}` in it replaced (absent: no link). */
  readonly traceUrl?: string;
}

/** Text for a double-quoted HTML attribute. */
const attributeText = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/**
 * The console's page may load only its own scripts and styles and talk only to this origin (the API): an
 * injected `<script>` or a form posting elsewhere does not run, and no other site may frame it. A page may also
 * add `<style>` elements that carry its nonce (the code editor mounts its styles so), fresh in each page served.
 */
function contentSecurityPolicy(styleNonce?: string): string {
  const styles = styleNonce ? `'self' 'nonce-${styleNonce}'` : "'self'";
  return (
    `default-src 'self'; script-src 'self'; style-src ${styles}; img-src 'self' data:; connect-src 'self'; ` +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
  );
}

const CONSOLE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

function notFound(reply: FastifyReply, message: string) {
  return reply
    .status(404)
    .header('cache-control', 'no-store')
    .send({ success: false, error: { code: 'NOT_FOUND', message, details: [] } });
}

/**
 * The web console (apps/console, a single-page app) at /console: its files as they are, and its index.html for
 * every other path under /console/ (the app's own routes). Registered on Fastify directly, outside Nest: public
 * (the page holds no data; every API call it makes carries the user's token and meets the auth guard), and
 * not in the OpenAPI document, which describes only the controllers. Without a build, /console answers 404 saying
 * how to build it, and the API works as ever.
 */
export async function registerConsole(
  app: NestFastifyApplication,
  dir: string = CONSOLE_DIST,
  settings: ConsoleSettings = {},
): Promise<boolean> {
  const traceUrl = attributeText(settings.traceUrl ?? '');
  // @nestjs/platform-fastify brings its own copy of fastify; its types lack the plugin's augmentation.
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const index = join(dir, 'index.html');
  const built = existsSync(index);
  await fastify.register(async (scope) => {
    scope.addHook('onSend', (_request, reply, payload, done) => {
      reply.headers(CONSOLE_HEADERS);
      // The page's own policy (with its nonce) is set by its route; every other answer gets the strict one.
      if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', contentSecurityPolicy());
      done(null, payload);
    });
    if (!built) {
      const answer = (_request: unknown, reply: FastifyReply) =>
        notFound(
          reply,
          'the console is not built: run `npx nx build console` (or `npm run build`), then restart data-service',
        );
      scope.get('/console', answer);
      scope.get('/console/*', answer);
      return;
    }
    await scope.register(fastifyStatic, {
      root: dir,
      prefix: '/console/',
      // One route per file found at start (no catch-all of its own), so the app's routes fall to the one below.
      wildcard: false,
      index: false,
      // index.html is a template (its nonce): served by the route below only.
      allowedPath: (path) => path !== '/index.html',
      decorateReply: false,
      setHeaders: (reply, path) => {
        // Vite names every asset by its content hash: it never changes under its name.
        void reply.header(
          'cache-control',
          path.startsWith(join(dir, 'assets')) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
    scope.get('/console', (_request, reply) => reply.redirect('/console/', 301));
    scope.get('/console/*', async (request, reply) => {
      if (request.url.startsWith('/console/assets/')) return notFound(reply, 'no such console file');
      // Read at each request (it is small): a console rebuilt under a running service is served as built.
      const nonce = randomBytes(16).toString('base64');
      const html = (await readFile(index, 'utf8'))
        .replaceAll(CSP_NONCE_PLACEHOLDER, nonce)
        .replaceAll(TRACE_URL_PLACEHOLDER, traceUrl);
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-security-policy', contentSecurityPolicy(nonce))
        .send(html);
    });
  });
  return built;
}
