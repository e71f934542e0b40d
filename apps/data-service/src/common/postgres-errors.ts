import { SignalboxError } from '@signalbox/contracts';
import { QueryFailedError } from 'typeorm';

/** Unique-constraint names and the 409 message each one means. */
const UNIQUE_MESSAGES: Readonly<Record<string, string>> = {
  compute_functions_name_unique: 'Compute function with this name already exists',
  function_triggers_name_unique: 'Trigger with this name already exists',
  function_triggers_webhook_path_unique: 'A webhook trigger with this path already exists',
  function_triggers_endpoint_route_unique: 'An endpoint trigger with this method and path already exists',
  webhooks_name_unique: 'Webhook with this name already exists',
};

/**
 * Maps what a constraint refused to the contract's errors; anything else is rethrown:
 * - a unique violation (also from two racing inserts) to 409;
 * - a trigger written for a function deleted since the service checked it (a create or an update racing the
 *   function's delete) to the 400 the check itself answers.
 */
export function rethrowConstraintViolation(error: unknown): never {
  // TypeORM wraps the driver's error; a statement sent on the pool (Database.rows) throws pg's own.
  const driver = (error instanceof QueryFailedError ? error.driverError : error) as
    { code?: unknown; constraint?: unknown } | undefined;
  const constraint = typeof driver?.constraint === 'string' ? driver.constraint : undefined;
  const message = driver?.code === '23505' && constraint ? UNIQUE_MESSAGES[constraint] : undefined;
  if (message) throw new SignalboxError('CONFLICT', message);
  if (driver?.code === '23503' && constraint === 'function_triggers_function_id_fkey') {
    throw new SignalboxError('VALIDATION_ERROR', 'functionId is not a compute function of this workspace', [
      { path: ['functionId'], message: 'no such compute function in this workspace (it was deleted)' },
    ]);
  }
  throw error;
}
