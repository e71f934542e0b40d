import type { ExecutionType } from '@signalbox/sdk';
import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';

import { EXECUTION_TYPES, listFunctions } from '../../api';
import { useClient } from '../../session-context';
import { fieldError, FormError } from '../../widgets/api-errors';
import { JsonField } from '../../widgets/json-field';
import { isStarter, starterMetadata } from './trigger-api';

/** What the trigger forms (new trigger, draft) edit; the metadata is JSON text, parsed on submit. */
export interface TriggerFormValues {
  name: string;
  description: string;
  functionId: string;
  executionType: ExecutionType | '';
  metadata: string;
}

export function emptyTriggerForm(): TriggerFormValues {
  return {
    name: '',
    description: '',
    functionId: '',
    executionType: 'on-demand',
    metadata: starterMetadata('on-demand'),
  };
}

const FIELDS = ['name', 'description', 'functionId', 'executionType', 'triggerMetadata'] as const;

/** The refusal, for under the form, unless it named one of the form's fields (then it is shown there). */
export function unplacedError(error: unknown, fields: readonly string[] = FIELDS): unknown {
  if (!error) return null;
  return fields.some((field) => fieldError(error, field)) ? null : error;
}

/**
 * Name, description, function, execution type and metadata, each with what the API said about it. `parseError`
 * is the metadata's own JSON error, found before sending.
 */
export function TriggerFields({
  values,
  onChange,
  error,
  parseError,
  typeFixed,
}: {
  values: TriggerFormValues;
  onChange: (values: TriggerFormValues) => void;
  error: unknown;
  parseError: string | null;
  typeFixed?: boolean;
}) {
  const id = useId();
  const client = useClient();
  const functions = useQuery({
    queryKey: ['functions-for-select', client.workspace],
    queryFn: ({ signal }) => listFunctions(client, signal),
  });
  const set = (changes: Partial<TriggerFormValues>) => onChange({ ...values, ...changes });
  const errors = {
    name: fieldError(error, 'name'),
    description: fieldError(error, 'description'),
    functionId: fieldError(error, 'functionId'),
    executionType: fieldError(error, 'executionType'),
    metadata: parseError ?? fieldError(error, 'triggerMetadata'),
  };
  const described = (field: keyof typeof errors) =>
    errors[field] ? { 'aria-invalid': true, 'aria-describedby': `${id}-${field}-error` } : {};
  const fieldMessage = (field: keyof typeof errors) =>
    errors[field] && (
      <p id={`${id}-${field}-error`} role="alert" className="field-error">
        {errors[field]}
      </p>
    );

  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-name`}>Name</label>
        <input
          id={`${id}-name`}
          value={values.name}
          onChange={(event) => set({ name: event.target.value })}
          maxLength={128}
          {...described('name')}
        />
        {fieldMessage('name')}
      </div>
      <div className="field">
        <label htmlFor={`${id}-description`}>Description</label>
        <input
          id={`${id}-description`}
          value={values.description}
          onChange={(event) => set({ description: event.target.value })}
          maxLength={2000}
          {...described('description')}
        />
        {fieldMessage('description')}
      </div>
      <div className="field">
        <label htmlFor={`${id}-function`}>Function</label>
        <select
          id={`${id}-function`}
          value={values.functionId}
          onChange={(event) => set({ functionId: event.target.value })}
          {...described('functionId')}
        >
          <option value="">
            {functions.isPending ? 'Loading functions…' : functions.isError ? 'Functions unavailable' : 'Choose…'}
          </option>
          {functions.data?.map((fn) => (
            <option key={fn.id} value={fn.id}>
              {fn.name}
            </option>
          ))}
        </select>
        {fieldMessage('functionId')}
        {functions.isError && <FormError error={functions.error} what="Could not load the functions" />}
      </div>
      <div className="field">
        <label htmlFor={`${id}-type`}>Execution type</label>
        <select
          id={`${id}-type`}
          value={values.executionType}
          disabled={typeFixed}
          onChange={(event) => {
            const type = event.target.value as ExecutionType | '';
            set({
              executionType: type,
              // An untouched starter follows the type; the user's own metadata stays.
              ...(type && isStarter(values.metadata) ? { metadata: starterMetadata(type) } : {}),
            });
          }}
          {...described('executionType')}
        >
          <option value="">Choose…</option>
          {EXECUTION_TYPES.map((type) => (
            <option key={type} value={type}>
              {type}
            </option>
          ))}
        </select>
        {fieldMessage('executionType')}
      </div>
      <JsonField
        label="Trigger metadata (JSON)"
        value={values.metadata}
        onChange={(metadata) => set({ metadata })}
        error={errors.metadata}
      />
    </>
  );
}
