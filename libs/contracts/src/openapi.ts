import type { TSchema } from '@sinclair/typebox';

import { ErrorEnvelopeSchema } from './rest/common';

/**
 * The parts of the services' OpenAPI documents that more than one service uses: plain data, no framework
 * (data-service builds its document with @nestjs/swagger, webhook-gateway by hand).
 */

/** An OpenAPI header object with an integer value. */
export interface OpenApiIntegerHeader {
  readonly description: string;
  readonly schema: { readonly type: 'integer' };
}

/**
 * JSON Schema of a TypeBox schema, as an OpenAPI component wants it: TypeBox's symbols dropped, and its `$id`
 * too (the component's name is its identity; an `$id` would change the base URI of refs inside it).
 */
export function componentJsonSchema(schema: TSchema): Record<string, unknown> {
  const { $id: _id, ...rest } = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  return rest;
}

/** Where each document keeps the error envelope, once, for every error answer to refer to. */
export const ERROR_ENVELOPE_REF = '#/components/schemas/ErrorEnvelope';

/** The `ErrorEnvelope` component: the contract's one error envelope as JSON Schema. */
export const errorEnvelopeJsonSchema = (): Record<string, unknown> => componentJsonSchema(ErrorEnvelopeSchema);

const integerHeader = (description: string): OpenApiIntegerHeader => ({ description, schema: { type: 'integer' } });

/**
 * The headers of a 429 `RATE_LIMITED`: `Retry-After` and the window's `<prefix>-Limit`, `-Remaining` and
 * `-Reset`. data-service sends `RateLimit-*`; webhook-gateway's per-trigger limit (@fastify/rate-limit) sends
 * `X-RateLimit-*`.
 */
export function rateLimitHeaders(
  prefix: 'RateLimit' | 'X-RateLimit',
  limitDescription: string,
): Readonly<Record<string, OpenApiIntegerHeader>> {
  return {
    'Retry-After': integerHeader('Seconds until a retry can succeed.'),
    [`${prefix}-Limit`]: integerHeader(limitDescription),
    [`${prefix}-Remaining`]: integerHeader('Requests left in the current window.'),
    [`${prefix}-Reset`]: integerHeader('Seconds until the window resets.'),
  };
}

/** data-service's rate-limit headers (every workspace route). */
export const RATE_LIMIT_HEADERS = rateLimitHeaders(
  'RateLimit',
  "The caller's requests per minute for this class of route.",
);
