import { SignalboxError } from '@signalbox/sdk';

import { errorMessage } from '../format';

/**
 * What the API said about one field of a refused request: the messages of the error's details whose path starts
 * with `field` (e.g. `['body', 'name']`, or `['name']`), joined; null when it said nothing about it.
 */
export function fieldError(error: unknown, ...field: string[]): string | null {
  if (!(error instanceof SignalboxError)) return null;
  const messages = error.details
    .filter((detail) => {
      const path = detail.path[0] === 'body' ? detail.path.slice(1) : detail.path;
      return field.every((part, index) => String(path[index]) === part);
    })
    .map((detail) => detail.message);
  return messages.length > 0 ? messages.join('; ') : null;
}

/** A refused form's error, for the form as a whole (under its submit button). */
export function FormError({ error, what }: { error: unknown; what: string }) {
  if (!error) return null;
  return (
    <p role="alert" className="field-error">
      {what}: {errorMessage(error)}
    </p>
  );
}
