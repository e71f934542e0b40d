import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { WORKSPACE_ROOT } from '@signalbox/testing';

import { Platform } from './support/platform';

interface Operation {
  parameters?: Array<{ name: string; in: string }>;
  security?: unknown[];
  responses: Record<string, { headers?: Record<string, unknown> }>;
}

/** The contract as data-service serves it at /docs-json, checked with the validators REST users run. */
describe("data-service's OpenAPI document", () => {
  let platform: Platform;
  let document: { openapi: string; paths: Record<string, Record<string, Operation>> };

  beforeAll(async () => {
    platform = await Platform.start({ only: ['data-service'] });
    document = (await (await fetch(`${platform.service('data-service').url}/docs-json`)).json()) as typeof document;
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('is OpenAPI 3.1 that swagger-parser validates and Redocly lints with no errors', () => {
    expect(document.openapi).toBe('3.1.0');
    // The validators are ES modules: they run in their own process (the script CI and users can run too).
    const check = spawnSync(
      process.execPath,
      [join(WORKSPACE_ROOT, 'scripts/check-openapi.mjs'), `${platform.service('data-service').url}/docs-json`],
      { encoding: 'utf8' },
    );
    expect(`${check.stdout}${check.stderr}`).toContain('redocly: 0 errors');
    expect(check.status).toBe(0);
  });

  it('declares every path parameter, the workspace included, and the 429 with its headers on workspace routes', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const operation of Object.values(item)) {
        const declared = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        const named = [...path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => name);
        expect([path, named.filter((name) => !declared.includes(name))]).toEqual([path, []]);
        if (path.startsWith('/workspace/')) {
          expect([path, Object.keys(operation.responses['429']?.headers ?? {})]).toEqual([
            path,
            expect.arrayContaining(['Retry-After', 'RateLimit-Limit']),
          ]);
        }
      }
    }
  });

  it('is published as docs/openapi.json, kept equal to what the service serves', () => {
    const file = join(WORKSPACE_ROOT, 'docs/openapi.json');
    const served = `${JSON.stringify(document, null, 2)}\n`;
    // After a change to the API: UPDATE_OPENAPI=1 npx jest -c e2e/jest.config.js e2e/test/openapi.e2e-spec.ts
    if (process.env['UPDATE_OPENAPI'] === '1') writeFileSync(file, served);
    expect(readFileSync(file, 'utf8')).toBe(served);
  });
});
