import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

import { namedSchemas } from '../common/openapi';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/**
 * What the decorators leave out of a valid OpenAPI 3.1 document: the workspace in every path is a path
 * parameter (it comes from the controller's route, not a handler argument, so Nest does not declare it); a
 * route without a security requirement is public and says so (`security: []`); every operation has a summary.
 */
export function completeDocument(document: OpenAPIObject): OpenAPIObject {
  document.servers = [{ url: '/', description: 'this data-service' }];
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...namedSchemas() },
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const parameters = operation.parameters ?? [];
      for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
        if (parameters.some((parameter) => 'name' in parameter && parameter.name === name && parameter.in === 'path'))
          continue;
        parameters.unshift({
          name: name,
          in: 'path',
          required: true,
          schema: { type: 'string' },
          ...(name === 'workspace' ? { description: "The workspace's slug; the token or API key must hold it." } : {}),
        });
      }
      operation.parameters = parameters;
      operation.security ??= [];
      operation.summary ??= operation.operationId;
    }
  }
  return document;
}

/**
 * OpenAPI generated from the controllers' decorators and the TypeBox schemas they validate with:
 * the UI at /docs, the JSON at /docs-json. Public (no token needed to read the contract).
 */
export function setupOpenApi(app: NestFastifyApplication, version: string): void {
  const config = new DocumentBuilder()
    .setTitle('Signalbox API')
    .setDescription(
      'Function triggers, compute functions and the platform around them. Errors use one envelope: ' +
        '{"success": false, "error": {"code", "message", "details"}}.',
    )
    .setVersion(version)
    .setOpenAPIVersion('3.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'api-key')
    .build();
  const document = completeDocument(SwaggerModule.createDocument(app, config));
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
