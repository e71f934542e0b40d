import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { Platform, WORKSPACE_ROOT } from '@signalbox/testing';

type Reference = { $ref: string };
interface Parameter {
  name: string;
  in: string;
  description?: string;
}
interface Response {
  headers?: Record<string, unknown>;
  content?: Record<string, { schema?: unknown }>;
}
interface Operation {
  parameters?: Array<Parameter | Reference>;
  security?: unknown[];
  requestBody?: unknown;
  responses: Record<string, Response | Reference>;
}
type PathItem = { parameters?: Array<Parameter | Reference> } & Record<string, unknown>;
interface Document {
  openapi: string;
  info: { version: string };
  servers?: Array<{ url: string }>;
  paths: Record<string, PathItem>;
  components?: Record<string, Record<string, unknown>>;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** A value, or what its local `$ref` (`#/components/...`) points at. */
const deref = <T>(document: Document, value: T | Reference): T => {
  if (typeof value !== 'object' || value === null || !('$ref' in value)) return value;
  const target = value.$ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], document);
  expect([value.$ref, target]).toEqual([value.$ref, expect.anything()]);
  return target as T;
};

/** Every operation, with its path, method, and its parameters (the path item's too), `$ref`s resolved. */
const operationsOf = (document: Document) =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method]).map((method) => {
      const operation = item[method] as Operation;
      const parameters = [...(item.parameters ?? []), ...(operation.parameters ?? [])].map((p) =>
        deref<Parameter>(document, p),
      );
      const responses = Object.fromEntries(
        Object.entries(operation.responses).map(([status, response]) => [status, deref<Response>(document, response)]),
      );
      return { path, method, operation, parameters, responses };
    }),
  );

/** Path templates whose `{name}` an operation does not declare as a path parameter. */
const undeclaredPathParameters = (document: Document) =>
  operationsOf(document).flatMap(({ path, method, parameters }) => {
    const declared = parameters.filter((p) => p.in === 'path').map((p) => p.name);
    return [...path.matchAll(/\{([^}]+)\}/g)]
      .map(([, name]) => name)
      .filter((name) => !declared.includes(name))
      .map((name) => `${method} ${path} {${name}}`);
  });

/** The validators are ES modules: they run in their own process (the script CI and users can run too). */
const checkOpenApi = (url: string) =>
  spawnSync(process.execPath, [join(WORKSPACE_ROOT, 'scripts/check-openapi.mjs'), url], { encoding: 'utf8' });

/**
 * The published copy, kept equal to what the service serves. After a change to the API:
 * UPDATE_OPENAPI=1 npx jest -c e2e/jest.config.js e2e/test/openapi.e2e-spec.ts
 */
const expectPublished = (file: string, document: Document) => {
  const path = join(WORKSPACE_ROOT, file);
  const served = `${JSON.stringify(document, null, 2)}\n`;
  if (process.env['UPDATE_OPENAPI'] === '1') writeFileSync(path, served);
  expect(readFileSync(path, 'utf8')).toBe(served);
};

/** The contracts as data-service and webhook-gateway serve them at /docs-json, checked with the validators REST users run. */
describe('OpenAPI documents', () => {
  let platform: Platform;

  beforeAll(async () => {
    platform = await Platform.start({ only: ['data-service', 'webhook-gateway'] });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  describe("data-service's", () => {
    let document: Document;

    beforeAll(async () => {
      document = (await (await fetch(`${platform.service('data-service').url}/docs-json`)).json()) as Document;
    });

    it('is OpenAPI 3.1 that swagger-parser validates and Redocly lints with no errors', () => {
      expect(document.openapi).toBe('3.1.0');
      const check = checkOpenApi(`${platform.service('data-service').url}/docs-json`);
      expect(`${check.stdout}${check.stderr}`).toContain('redocly: 0 errors');
      expect(check.status).toBe(0);
    });

    it('declares every path parameter, the workspace included, and the 429 with its headers on workspace routes', () => {
      expect(undeclaredPathParameters(document)).toEqual([]);
      for (const { path, responses } of operationsOf(document)) {
        if (!path.startsWith('/workspace/')) continue;
        expect([path, Object.keys(responses['429']?.headers ?? {})]).toEqual([
          path,
          expect.arrayContaining(['Retry-After', 'RateLimit-Limit']),
        ]);
      }
    });

    it('types triggerMetadata per executionType: a oneOf told apart by executionType, each with its own fields', () => {
      const trigger = operationsOf(document).find(
        ({ path, method }) => path.endsWith('/function-triggers/{id}') && method === 'get',
      );
      const schema = trigger?.responses['200']?.content?.['application/json']?.schema as {
        oneOf: Reference[];
        discriminator: { propertyName: string; mapping: Record<string, string> };
      };
      expect(schema.discriminator.propertyName).toBe('executionType');
      expect(Object.keys(schema.discriminator.mapping).sort()).toEqual(
        ['endpoint', 'event-driven', 'on-demand', 'polling', 'scheduled', 'webhook'].sort(),
      );
      const fieldsOf = (type: string) => {
        const variant = deref<{ properties: { triggerMetadata: Reference } }>(document, {
          $ref: schema.discriminator.mapping[type] ?? '',
        });
        return Object.keys(deref<{ properties: object }>(document, variant.properties.triggerMetadata).properties);
      };
      expect(fieldsOf('scheduled')).toEqual(expect.arrayContaining(['cron', 'interval', 'timezone', 'retry']));
      expect(fieldsOf('on-demand')).not.toContain('cron');
      expect(fieldsOf('polling')).toEqual(expect.arrayContaining(['url', 'interval', 'headers']));
    });

    it('is published as docs/openapi.json, kept equal to what the service serves', () => {
      expectPublished('docs/openapi.json', document);
    });
  });

  describe("webhook-gateway's", () => {
    const WEBHOOK = '/workspace/{workspace}/api/v1/webhook/{path}';
    const WEBHOOK_BY_ID = '/workspace/{workspace}/api/v1/webhook/by-id/{triggerId}';
    const ENDPOINT = '/workspace/{workspace}/api/v1/endpoints/{path}';
    // In the order operationsOf lists them (OpenAPI's), and as JSON orders status codes.
    const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
    const WEBHOOK_ANSWERS = ['200', '202', '400', '401', '404', '409', '413', '415', '429', '503'];
    const ENDPOINT_ANSWERS = [
      ...['200', '202', '400', '401', '404', '405', '409', '413', '415', '429', '500', '503', '504'],
      'default',
    ];
    let gateway: string;
    let document: Document;

    beforeAll(async () => {
      gateway = platform.service('webhook-gateway').url;
      document = (await (await fetch(`${gateway}/docs-json`)).json()) as Document;
    });

    it('is OpenAPI 3.1 that swagger-parser validates and Redocly lints with no errors, served without a token', () => {
      expect(document.openapi).toBe('3.1.0');
      const { version } = JSON.parse(
        readFileSync(join(WORKSPACE_ROOT, 'apps/webhook-gateway/package.json'), 'utf8'),
      ) as { version: string };
      expect(document.info.version).toBe(version);
      expect(document.servers).toEqual([{ url: '/', description: 'this webhook-gateway' }]);
      const check = checkOpenApi(`${gateway}/docs-json`);
      expect(`${check.stdout}${check.stderr}`).toContain('redocly: 0 errors');
      expect(check.status).toBe(0);
    });

    it('documents the three public route families, each method with its answers, public, every error the envelope', () => {
      expect(Object.keys(document.paths).sort()).toEqual([ENDPOINT, WEBHOOK, WEBHOOK_BY_ID].sort());
      expect(undeclaredPathParameters(document)).toEqual([]);
      const operations = operationsOf(document);
      for (const [path, answers] of [
        [WEBHOOK, WEBHOOK_ANSWERS],
        [WEBHOOK_BY_ID, WEBHOOK_ANSWERS],
        [ENDPOINT, ENDPOINT_ANSWERS],
      ] as const) {
        expect([path, operations.filter((o) => o.path === path).map((o) => o.method)]).toEqual([path, METHODS]);
        for (const { method, operation, responses } of operations.filter((o) => o.path === path)) {
          const at = `${method} ${path}`;
          expect([at, operation.security]).toEqual([at, []]);
          expect([at, Object.keys(responses)]).toEqual([at, [...answers]]);
          expect([at, Boolean(operation.requestBody)]).toEqual([at, method !== 'get']);
          for (const [status, response] of Object.entries(responses)) {
            if (!/^[45]\d\d$/.test(status)) continue;
            // The errors of an endpoint's run (500, 504) add its `jobId`: EndpointErrorEnvelope, which is allOf it.
            const schema = response.content?.['application/json']?.schema as Reference | undefined;
            const envelope = schema && deref<{ allOf?: unknown[] }>(document, schema).allOf?.[0];
            expect([at, status, envelope ?? schema]).toEqual([
              at,
              status,
              { $ref: '#/components/schemas/ErrorEnvelope' },
            ]);
          }
          expect([at, Object.keys(responses['429']?.headers ?? {})]).toEqual([
            at,
            expect.arrayContaining(['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']),
          ]);
          if (path === ENDPOINT) expect(Object.keys(responses['405']?.headers ?? {})).toContain('Allow');
        }
      }
      // "The rest of the path" is one parameter whose description says it may hold slashes.
      for (const { path, parameters } of operations.filter((o) => o.path !== WEBHOOK_BY_ID)) {
        expect([path, parameters.find((p) => p.name === 'path')]).toEqual([
          path,
          expect.objectContaining({ in: 'path', description: expect.stringContaining('may contain `/`') }),
        ]);
      }
    });

    it('documents routes the gateway serves: each family answers its own 404 for an unknown trigger', async () => {
      const concrete: Record<string, string> = {
        [WEBHOOK]: '/workspace/acme/api/v1/webhook/no/such/trigger',
        [WEBHOOK_BY_ID]: `/workspace/acme/api/v1/webhook/by-id/${randomUUID()}`,
        [ENDPOINT]: '/workspace/acme/api/v1/endpoints/no/such/endpoint',
      };
      for (const [path, url] of Object.entries(concrete)) {
        for (const { method } of operationsOf(document).filter((o) => o.path === path)) {
          const response = await fetch(`${gateway}${url}`, { method: method.toUpperCase() });
          const body = (await response.json()) as { error: { code: string; message: string } };
          expect([path, method, response.status, body.error.code, body.error.message]).toEqual([
            path,
            method,
            404,
            'NOT_FOUND',
            expect.stringMatching(/^(no webhook trigger|webhook trigger .* not found|no endpoint trigger)/),
          ]);
        }
      }
    });

    it('is published as docs/openapi-gateway.json, kept equal to what the service serves', () => {
      expectPublished('docs/openapi-gateway.json', document);
    });
  });
});
