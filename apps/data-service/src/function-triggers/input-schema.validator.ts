import { type ErrorDetail, SignalboxError } from '@signalbox/contracts';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const compiled = new Map<string, ValidateFunction>();
const MAX_CACHED = 1000;

/**
 * Checks an execute body against the trigger's `inputSchema` (compiled once per trigger version);
 * a failure answers 400 with ajv's findings and starts nothing.
 */
export function checkInput(cacheKey: string, schema: Record<string, unknown>, body: unknown): void {
  let validate = compiled.get(cacheKey);
  if (!validate) {
    if (compiled.size >= MAX_CACHED) compiled.clear();
    validate = ajv.compile(schema);
    compiled.set(cacheKey, validate);
  }
  if (validate(body)) return;
  const details: ErrorDetail[] = (validate.errors ?? []).map((error) => {
    const path = error.instancePath.split('/').filter(Boolean);
    const field = error.keyword === 'required' ? [...path, String(error.params['missingProperty'])] : path;
    return {
      path: field,
      message: `${field.length ? field.join('.') : 'body'} ${error.keyword === 'required' ? 'is required' : (error.message ?? 'is invalid')}`,
    };
  });
  throw new SignalboxError(
    'VALIDATION_ERROR',
    `the request body does not match the trigger's inputSchema: ${details[0]?.message ?? 'invalid'}`,
    details,
  );
}
