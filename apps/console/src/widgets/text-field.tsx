import { useId } from 'react';

/**
 * A labelled text input (or textarea), its hint, and the error to show under it (one found here, or what the API
 * said about this field), tied to it for screen readers.
 */
export function TextField({
  id: givenId,
  label,
  value,
  onChange,
  error,
  hint,
  multiline,
  type = 'text',
  required,
}: {
  /** A fixed id, when something else refers to the field; else one is made. */
  id?: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | null;
  hint?: string;
  multiline?: boolean;
  type?: 'text' | 'url' | 'number' | 'search' | 'datetime-local';
  required?: boolean;
}) {
  const madeId = useId();
  const id = givenId ?? madeId;
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    value,
    required,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': described,
  } as const;
  return (
    <div className="field">
      <label htmlFor={id} className="field-label">
        {label}
      </label>
      {hint && (
        <span id={`${id}-hint`} className="muted field-hint">
          {hint}
        </span>
      )}
      {multiline ? (
        <textarea {...common} rows={2} onChange={(event) => onChange(event.target.value)} />
      ) : (
        <input
          {...common}
          type={type}
          // seconds too: a value with seconds would otherwise not be valid
          step={type === 'datetime-local' ? 1 : undefined}
          onChange={(event) => onChange(event.target.value)}
        />
      )}
      {error && (
        <p id={`${id}-error`} role="alert" className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}
