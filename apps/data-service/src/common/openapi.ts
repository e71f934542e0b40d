import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiQuery, ApiResponse, type SchemaObject } from '@nestjs/swagger';
import {
  ERROR_ENVELOPE_REF,
  type ErrorCode,
  ErrorCodes,
  ErrorEnvelopeSchema,
  RATE_LIMIT_HEADERS,
} from '@signalbox/contracts';
import type { TObject, TSchema } from '@sinclair/typebox';

/** Every schema with an `$id`, by that name; openapi.setup.ts puts them in `components.schemas`. */
const components = new Map<string, SchemaObject>();
export const namedSchemas = (): Record<string, SchemaObject> => Object.fromEntries(components);

/**
 * JSON Schema of a TypeBox schema, as OpenAPI wants it: TypeBox's symbols dropped, and each subschema with an
 * `$id` (the error envelope, the trigger types) moved to `components` and referred to by `$ref`.
 */
const plain = (schema: TSchema): SchemaObject => lift(JSON.parse(JSON.stringify(schema))) as SchemaObject;

function lift(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(lift);
  if (typeof value !== 'object' || value === null) return value;
  const { $id, ...rest } = Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, lift(inner)]));
  if (typeof $id !== 'string') return rest;
  components.set($id, rest);
  return { $ref: `#/components/schemas/${$id}` };
}

export const ApiJsonBody = (schema: TSchema) => ApiBody({ schema: plain(schema) });

/** A schema with an `$id` put in `components`, and the `$ref` to it. */
export const componentRef = (schema: TSchema): SchemaObject => plain(schema);

export const ApiJsonResponse = (status: number, schema: TSchema, description = 'OK') =>
  ApiResponse({ status, description, schema: plain(schema) });

// The error envelope (its `$id` is the `ErrorEnvelope` that ERROR_ENVELOPE_REF names), once in `components`.
plain(ErrorEnvelopeSchema);

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

/** A query's parameters: required when the schema requires them and gives no default. */
export const ApiListQuery = (schema: TObject) =>
  applyDecorators(
    ...Object.entries(schema.properties).map(([name, property]) =>
      ApiQuery({
        name,
        required: (schema.required ?? []).includes(name) && property.default === undefined,
        schema: plain(property),
      }),
    ),
  );
