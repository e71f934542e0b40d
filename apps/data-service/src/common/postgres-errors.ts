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

/** Maps a unique violation (also from two racing inserts) to 409; anything else is rethrown. */
export function rethrowConflict(error: unknown): never {
  // TypeORM wraps the driver's error; a statement sent on the pool (Database.rows) throws pg's own.
  const driver = (error instanceof QueryFailedError ? error.driverError : error) as
    { code?: unknown; constraint?: unknown } | undefined;
  const constraint = typeof driver?.constraint === 'string' ? driver.constraint : undefined;
  const message = driver?.code === '23505' && constraint ? UNIQUE_MESSAGES[constraint] : undefined;
  if (message) throw new SignalboxError('CONFLICT', message);
  throw error;
}
