import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

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
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'api-key')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
