import { type ErrorDetail, SignalboxError } from '@signalbox/contracts';
import { UserSchemaCache } from '@signalbox/filters';

const compiled = new UserSchemaCache();
const MAX_DETAILS = 20;

/**
 * Checks an execute body against the trigger's `inputSchema` (compiled once per trigger version, by the
 * user-schema compiler: RE2 patterns, bounded `uniqueItems`, nothing shared between schemas); a failure
 * answers 400 with ajv's findings and starts nothing.
 */
export function checkInput(cacheKey: string, version: number, schema: Record<string, unknown>, body: unknown): void {
  const validate = compiled.validator(cacheKey, version, schema);
  if (validate(body)) return;
  const details: ErrorDetail[] = (validate.errors ?? []).slice(0, MAX_DETAILS).map((error) => {
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
