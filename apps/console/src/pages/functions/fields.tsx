import { SignalboxError } from '@signalbox/sdk';
import { useId } from 'react';

import { CodeEditor } from '../../editor/code-editor';
import { fieldError, FormError } from '../../widgets/api-errors';

/** A function's editable fields, as the forms hold them (numbers as typed). */
export interface FunctionFields {
  name: string;
  description: string;
  code: string;
  timeoutMs: string;
  memoryMb: string;
}

export type FieldName = keyof FunctionFields;

/** The starter code of a new function. */
export const STARTER_CODE = `async function run() {
  // executionParams holds the trigger's input; api.log writes to the run's logs.
  api.log('hello from', executionParams);
  return { ok: true };
}
`;

/**
 * What the API said about one field: its details for that field, and a name conflict (409 without details, the
 * only field a conflict of a function can be about) on the name.
 */
export function errorFor(error: unknown, field: FieldName): string | null {
  const said = fieldError(error, field);
  if (said) return said;
  if (field === 'name' && error instanceof SignalboxError && error.code === 'CONFLICT' && error.details.length === 0) {
    return error.message;
  }
  return null;
}

/** The refusal under the form, unless every part of it is already shown next to a field of `fields`. */
export function UnplacedError({ error, fields, what }: { error: unknown; fields: FieldName[]; what: string }) {
  if (!error) return null;
  const placed =
    error instanceof SignalboxError &&
    (error.details.length > 0
      ? error.details.every((detail) => {
          const path = detail.path[0] === 'body' ? detail.path.slice(1) : detail.path;
          return fields.some((field) => String(path[0]) === field);
        })
      : fields.includes('name') && errorFor(error, 'name') !== null);
  return placed ? null : <FormError error={error} what={what} />;
}

/** The function's code in the editor, with the API's error about it (a syntax error with its line) under it. */
export function CodeField({
  value,
  onChange,
  error,
}: {
  value: string;
  onChange: (value: string) => void;
  error: string | null;
}) {
  const id = useId();
  return (
    <div className="field">
      <span className="field-label" id={`${id}-label`}>
        Code
      </span>
      <CodeEditor
        language="javascript"
        label="Function code"
        value={value}
        onChange={onChange}
        invalid={Boolean(error)}
        describedBy={error ? `${id}-error` : undefined}
      />
      {error && (
        <p id={`${id}-error`} role="alert" className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

/** A whole number typed in a field; undefined when empty, NaN (refused by the API) when not a number. */
export function wholeNumber(text: string): number | undefined {
  const trimmed = text.trim();
  return trimmed === '' ? undefined : Number(trimmed);
}
