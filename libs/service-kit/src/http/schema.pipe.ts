import { Injectable, type PipeTransform } from '@nestjs/common';
import { type ErrorDetail, SignalboxError } from '@signalbox/contracts';
import type { Static, TSchema } from '@sinclair/typebox';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

const bodies = new Ajv({ allErrors: true, strict: false, useDefaults: true, coerceTypes: false });
// A query parameter given once arrives as a string: 'array' also makes it the one item of an array parameter.
const queries = new Ajv({ allErrors: true, strict: false, useDefaults: true, coerceTypes: 'array' });
addFormats(bodies);
addFormats(queries);

function detail(error: ErrorObject): ErrorDetail {
  const path = error.instancePath.split('/').filter(Boolean);
  if (error.keyword === 'required') {
    const field = String(error.params['missingProperty']);
    return { path: [...path, field], message: `${[...path, field].join('.')} is required` };
  }
  if (error.keyword === 'additionalProperties') {
    const field = String(error.params['additionalProperty']);
    return { path: [...path, field], message: `${[...path, field].join('.')} is not a known field` };
  }
  const name = path.length ? path.join('.') : 'body';
  const allowed = error.keyword === 'enum' ? `: ${(error.params['allowedValues'] as unknown[]).join(', ')}` : '';
  return { path, message: `${name} ${error.message ?? 'is invalid'}${allowed}` };
}

/**
 * Validates a body or query with a compiled JSON Schema (TypeBox), applying defaults. On failure:
 * 400 VALIDATION_ERROR naming the fields. One schema gives the type, the validator and the OpenAPI entry.
 */
@Injectable()
export class SchemaPipe<T extends TSchema> implements PipeTransform<unknown, Static<T>> {
  private readonly validate: ValidateFunction;

  constructor(
    schema: T,
    private readonly source: 'body' | 'query' = 'body',
  ) {
    this.validate = (source === 'query' ? queries : bodies).compile(schema);
  }

  transform(value: unknown): Static<T> {
    const input = value ?? (this.source === 'body' ? {} : {});
    if (this.source === 'body' && (typeof input !== 'object' || Array.isArray(input))) {
      throw new SignalboxError('VALIDATION_ERROR', 'request body must be a JSON object');
    }
    if (this.validate(input)) return input;
    const details = (this.validate.errors ?? []).filter((e) => e.keyword !== 'anyOf').map(detail);
    const unique = details.filter((d, i) => details.findIndex((o) => o.message === d.message) === i);
    throw new SignalboxError('VALIDATION_ERROR', unique[0]?.message ?? 'invalid request', unique);
  }
}
