import type { RecordEventInput } from '@signalbox/sdk';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';

import { useClient } from '../../session-context';
import { fieldError, FormError } from '../../widgets/api-errors';
import { JsonField, parseJson } from '../../widgets/json-field';
import { TextField } from '../../widgets/text-field';

export type RecordEventName = RecordEventInput['event'];

const EVENT_NAMES_SET: Record<RecordEventName, true> = {
  record_created: true,
  record_updated: true,
  record_deleted: true,
  record_restored: true,
  record_reverted: true,
  record_create_failed: true,
  record_updated_failed: true,
  record_deleted_failed: true,
};
/** The eight record events, as the API lists them. */
export const RECORD_EVENT_NAMES = Object.keys(EVENT_NAMES_SET) as RecordEventName[];

/**
 * Publishes a test record event (`POST /events`, as a service would on NATS). The router routes it like any
 * other: it appears in the live table with the runs it started. The API's errors show next to their fields.
 */
export function PublishForm() {
  const client = useClient();
  const id = useId();
  const [event, setEvent] = useState<RecordEventName>('record_created');
  const [recordSlug, setRecordSlug] = useState('');
  const [recordId, setRecordId] = useState('');
  const [data, setData] = useState('{\n  \n}');
  const [dataError, setDataError] = useState<string | null>(null);

  const publish = useMutation({ mutationFn: (body: RecordEventInput) => client.events.publish(body) });

  const submit = (submitted: FormEvent) => {
    submitted.preventDefault();
    const parsed = parseJson(data.trim() || '{}');
    if (!parsed.ok) {
      setDataError(`Not JSON: ${parsed.message}`);
      return;
    }
    setDataError(null);
    publish.mutate({
      event,
      recordSlug: recordSlug.trim(),
      recordId: recordId.trim(),
      // Sent as typed: the API says what is wrong with it (e.g. not an object).
      data: parsed.value as RecordEventInput['data'],
    });
  };

  const slugError = fieldError(publish.error, 'recordSlug');
  const idError = fieldError(publish.error, 'recordId');
  const eventError = fieldError(publish.error, 'event');
  const shown = [slugError, idError, eventError, fieldError(publish.error, 'data')].some(Boolean);

  return (
    <form className="events-panel" onSubmit={submit} noValidate aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Publish a test event</h2>
      <p className="muted">
        Sent to <code>POST /events</code>, routed like an event from your services: matching event-driven triggers start
        runs.
      </p>
      <div className="field">
        <label htmlFor={`${id}-event`}>Event type</label>
        <select
          id={`${id}-event`}
          value={event}
          onChange={(changed) => setEvent(changed.target.value as RecordEventName)}
          aria-invalid={eventError ? true : undefined}
          aria-describedby={eventError ? `${id}-event-error` : undefined}
        >
          {RECORD_EVENT_NAMES.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        {eventError && (
          <p id={`${id}-event-error`} role="alert" className="field-error">
            {eventError}
          </p>
        )}
      </div>
      <TextField id={`${id}-slug`} label="Record slug" value={recordSlug} onChange={setRecordSlug} error={slugError} />
      <TextField id={`${id}-record`} label="Record id" value={recordId} onChange={setRecordId} error={idError} />
      <JsonField
        label="Data (JSON)"
        value={data}
        onChange={setData}
        error={dataError ?? fieldError(publish.error, 'data')}
      />
      <div className="action">
        <button type="submit" disabled={publish.isPending}>
          {publish.isPending ? 'Publishing…' : 'Publish event'}
        </button>
        {publish.isSuccess && !publish.isPending && (
          <span role="status">
            Published event <span className="mono">{publish.data.eventId}</span>
            {publish.data.duplicate ? ' (a duplicate: dropped)' : ''}.
          </span>
        )}
      </div>
      {/* What the fields above do not show: a refusal about the request as a whole. */}
      {!shown && <FormError error={publish.error} what="Not published" />}
    </form>
  );
}
