import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiQuery, ApiResponse, type SchemaObject } from '@nestjs/swagger';
import { type ErrorCode, ErrorCodes, ErrorEnvelopeSchema } from '@signalbox/contracts';
import type { TObject, TSchema } from '@sinclair/typebox';

/** JSON Schema of a TypeBox schema, as OpenAPI wants it (TypeBox's symbols dropped). */
const plain = (schema: TSchema): SchemaObject => JSON.parse(JSON.stringify(schema)) as SchemaObject;

export const ApiJsonBody = (schema: TSchema) => ApiBody({ schema: plain(schema) });

export const ApiJsonResponse = (status: number, schema: TSchema, description = 'OK') =>
  ApiResponse({ status, description, schema: plain(schema) });

/** Documents the envelope for each error code a route can answer (401 and 403 are on every route). */
export const ApiErrors = (...codes: ErrorCode[]) =>
  applyDecorators(
    ...[...new Set<ErrorCode>(['UNAUTHORIZED', 'FORBIDDEN', ...codes])].map((code) =>
      ApiResponse({ status: ErrorCodes[code], description: code, schema: plain(ErrorEnvelopeSchema) }),
    ),
  );

export const ApiListQuery = (schema: TObject) =>
  applyDecorators(
    ...Object.entries(schema.properties).map(([name, property]) =>
      ApiQuery({ name, required: false, schema: plain(property) }),
    ),
  );
