import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiQuery, ApiResponse, type SchemaObject } from '@nestjs/swagger';
import { type ErrorCode, ErrorCodes, ErrorEnvelopeSchema } from '@signalbox/contracts';
import type { TObject, TSchema } from '@sinclair/typebox';

/** JSON Schema of a TypeBox schema, as OpenAPI wants it (TypeBox's symbols dropped). */
const plain = (schema: TSchema): SchemaObject => JSON.parse(JSON.stringify(schema)) as SchemaObject;

export const ApiJsonBody = (schema: TSchema) => ApiBody({ schema: plain(schema) });

export const ApiJsonResponse = (status: number, schema: TSchema, description = 'OK') =>
  ApiResponse({ status, description, schema: plain(schema) });

/** The error envelope, once in `components` (openapi.setup.ts puts it there), referred to by every error answer. */
export const ERROR_ENVELOPE_REF = '#/components/schemas/ErrorEnvelope';
export const errorEnvelopeComponent = (): SchemaObject => plain(ErrorEnvelopeSchema);

const RATE_LIMIT_HEADERS = {
  'Retry-After': { description: 'Seconds until a retry can succeed.', schema: { type: 'integer' } },
  'RateLimit-Limit': {
    description: "The caller's requests per minute for this class of route.",
    schema: { type: 'integer' },
  },
  'RateLimit-Remaining': { description: 'Requests left in the current window.', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until the window resets.', schema: { type: 'integer' } },
} as const;

/**
 * Documents the envelope for each error code a route can answer. 401 and 403 are on every route, and so is
 * 429: `RATE_LIMITED` (with the rate-limit headers) and, where a workspace quota applies, `QUOTA_EXCEEDED`.
 */
export const ApiErrors = (...codes: ErrorCode[]) => {
  const all = [...new Set<ErrorCode>(['UNAUTHORIZED', 'FORBIDDEN', 'RATE_LIMITED', ...codes])];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of all) byStatus.set(ErrorCodes[code], [...(byStatus.get(ErrorCodes[code]) ?? []), code]);
  return applyDecorators(
    ...[...byStatus].map(([status, named]) =>
      ApiResponse({
        status,
        description: named.join(' or '),
        schema: { $ref: ERROR_ENVELOPE_REF },
        ...(status === 429 ? { headers: RATE_LIMIT_HEADERS } : {}),
      }),
    ),
  );
};

export const ApiListQuery = (schema: TObject) =>
  applyDecorators(
    ...Object.entries(schema.properties).map(([name, property]) =>
      ApiQuery({ name, required: false, schema: plain(property) }),
    ),
  );
